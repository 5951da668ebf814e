// cairn init: create an instance (catalog, config, key, storage).
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/instance/init.hpp"
#include "core/util/fs.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace cairn::cmd {

namespace {

struct InitOpts {
    std::string dir = ".";
    std::string storage, name, endpoint, region, addressing, key_file, catalog;
    bool allow_http = false, allow_unsafe = false, passphrase = false, replace_instance = false, allow_plain_catalog = false;
};

void run(const InitOpts& o, GlobalOptions& g) {
    const std::optional<keys::SecretString> pass = new_passphrase(o.passphrase);
    InitOptions opts{o.dir, o.storage, o.catalog, o.allow_plain_catalog, o.name, o.endpoint, o.region, o.addressing,
                     o.allow_http, o.key_file, view_of(pass), o.allow_unsafe, g.argv, o.replace_instance};
    InitResult r = init_instance(opts);
    for (const auto& w : r.warnings) std::fprintf(stderr, "cairn: warning: %s\n", w.c_str());
    if (g.json) {
        print_json({{"instance", r.instance_dir.string()}, {"instance_id", r.instance_id},
                    {"storage", r.storage_url}, {"key_file", r.key_file.string()},
                    {"replaced_instance", r.replaced_instance_id.empty() ? nlohmann::json() : nlohmann::json(r.replaced_instance_id)},
                    {"db_roles", r.db_roles},
                    {"probe", {{"versioning", r.probe.versioning}, {"object_lock", r.probe.object_lock},
                               {"write_once", r.probe.write_once ? nlohmann::json(*r.probe.write_once) : nlohmann::json()},
                               {"notes", r.probe.notes}}}});
        return;
    }
    std::cout << "Initialised cairn instance " << r.instance_id << " in " << r.instance_dir.string() << "\n"
              << "  storage:  " << r.storage_url << (r.probe.versioning ? " (versioning on)" : "") << "\n"
              << "  key file: " << r.key_file.string() << " (keep a backup: without it the data cannot be read)\n";
    if (!r.db_roles.empty()) {
        std::cout << "  database roles:";
        for (const auto& role : r.db_roles) std::cout << " " << role;
        std::cout << " (members' logins join one: cairn access grant --db-login)\n";
    }
    if (!r.replaced_instance_id.empty())
        info(g, "replaced instance " + r.replaced_instance_id + ": this host's recorded head of it was removed");
    for (const auto& note : r.probe.notes) info(g, "note: " + note);
}

} // namespace

void register_init(CLI::App& app, GlobalOptions& g) {
    auto o = std::make_shared<InitOpts>();
    auto* sub = app.add_subcommand("init", "Create an instance: catalog, config, key and storage");
    sub->footer("Example:\n  cairn init --storage s3://bucket/team-data\n\nEXIT STATUS: 0 ok, 2 a PostgreSQL database name over 50 bytes (role names), 5 storage probe failed or the PostgreSQL catalog cannot be reached, 7 unsafe storage or bad config, 8 an instance already exists (in DIR or the database), a database role init would create exists, or this host recorded the audit trail of an instance at this path (see --replace-instance).");
    sub->add_option("dir", o->dir, "Directory to create .cairn/ in (default: current directory)");
    sub->add_option("--storage", o->storage, "Storage location: DIR, file:///DIR, s3://bucket/prefix or gs://bucket/prefix (default: .cairn/storage)");
    sub->add_option("--catalog", o->catalog,
                    "Keep the catalog in PostgreSQL: postgresql://[USER@]HOST[:PORT]/DB (no password: libpq's ~/.pgpass; "
                    "TLS verify-full by default) (default: .cairn/catalog.db)");
    sub->add_flag("--allow-plain-catalog", o->allow_plain_catalog,
                  "Accept a weaker sslmode (from the URL or PGSSLMODE) to a PostgreSQL server on this machine");
    sub->add_option("--name", o->name, "Instance name (default: the directory name)");
    sub->add_option("--endpoint", o->endpoint, "S3-compatible endpoint URL (kept in config)");
    sub->add_option("--region", o->region, "Storage region");
    sub->add_option("--addressing", o->addressing, "S3 addressing style")->check(CLI::IsMember({"path", "virtual"}));
    sub->add_flag("--allow-http", o->allow_http, "Allow plain http to a loopback endpoint (tests only)");
    sub->add_option("--key-file", o->key_file, "Where to create the instance key (default: ~/.config/cairn/keys/<id>.key)");
    sub->add_flag("--passphrase", o->passphrase, "Protect the key file with the passphrase in $CAIRN_PASSPHRASE_FILE");
    sub->add_flag("--allow-unsafe-storage", o->allow_unsafe, "Accept storage that may keep deleted data past 30 days");
    sub->add_flag("--replace-instance", o->replace_instance,
                  "Create an instance where this host recorded another one's audit trail (it was removed on purpose)");
    sub->callback([o, &g] { run(*o, g); });
}

} // namespace cairn::cmd
