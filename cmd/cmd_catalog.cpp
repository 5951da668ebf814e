// cairn catalog: where the instance's catalog lives (migrate it to PostgreSQL).
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/instance/move_catalog.hpp"

#include <iostream>

namespace cairn::cmd {

namespace {

struct MigrateOpts {
    std::string to;
    bool allow_plain = false;
};

void run_migrate(const MigrateOpts& o, GlobalOptions& g) {
    const CatalogMove moved = move_catalog_to_postgres(instance(g), o.to, o.allow_plain);
    const std::filesystem::path dir = instance(g).dir();
    close_instance();
    const std::filesystem::path retired = retire_sqlite_catalog(dir);
    try {
        request_publish(); // a checkpoint of the moved trail, from its new home
        instance(g);
    } catch (const Error& e) {
        std::fprintf(stderr, "cairn: warning: the catalog moved, but reopening it failed: %s\n", e.what());
    }
    if (g.json) {
        nlohmann::json rows = nlohmann::json::object();
        for (const auto& [table, n] : moved.rows) rows[table] = n;
        print_json({{"to", moved.to}, {"rows", rows}, {"events_verified", moved.events}, {"keys_moved", moved.keys_moved},
                    {"db_roles", moved.db_roles}, {"retired", retired.string()}});
        return;
    }
    int64_t total = 0;
    for (const auto& [table, n] : moved.rows) total += n;
    std::cout << "moved the catalog to the " << moved.to << ": " << total << " rows, "
              << moved.events << " audit events verified there, " << moved.keys_moved
              << " wrapped data keys moved into key objects in storage\n";
    if (!moved.db_roles.empty()) {
        std::cout << "  database roles:";
        for (const auto& role : moved.db_roles) std::cout << " " << role;
        std::cout << "\n";
    } else {
        std::fprintf(stderr, "cairn: warning: database roles not created: %s (docs/TEAMS.md)\n",
                     moved.db_roles_not_created.c_str());
    }
    info(g, "the old catalog is " + retired.string() +
                ": it still holds every row, and its free pages and WAL may still hold the wrapped data keys "
                "that now live in key objects; no purge reaches it: delete it once the move is checked");
}

} // namespace

void register_catalog(CLI::App& app, GlobalOptions& g) {
    auto* catalog_cmd = app.add_subcommand("catalog", "Move the instance's catalog (to PostgreSQL)");
    catalog_cmd->require_subcommand(1);
    catalog_cmd->footer("Example:\n  cairn catalog migrate --to postgresql://cairn@db.example.com/team\n\n"
                        "EXIT STATUS: see each subcommand's --help.");
    auto o = std::make_shared<MigrateOpts>();
    auto* migrate = catalog_cmd->add_subcommand("migrate", "Move an SQLite catalog into a PostgreSQL database");
    migrate->footer(
        "Example:\n  cairn catalog migrate --to postgresql://cairn@db.example.com/team\n\n"
        "Copies every row, the audit trail with its chain included, in one transaction, verifies the\n"
        "copy's trail before committing, points config.yaml at the database and renames catalog.db to\n"
        "catalog.db.migrated. Stop other cairn commands of this instance while it runs.\n"
        "EXIT STATUS: 0 ok, 2 already on PostgreSQL, 4 the trail does not verify, 5 cannot connect,\n"
        "6 not admin, 7 bad URL, 8 the database already holds an instance.");
    migrate->add_option("--to", o->to, "postgresql://[USER@]HOST[:PORT]/DB (no password: libpq's ~/.pgpass; "
                                       "TLS verify-full by default)")
        ->required()
        ->type_name("URL");
    migrate->add_flag("--allow-plain-catalog", o->allow_plain,
                      "Accept a weaker sslmode (from the URL or PGSSLMODE) to a PostgreSQL server on this machine");
    migrate->callback([o, &g] { run_migrate(*o, g); });
}

} // namespace cairn::cmd
