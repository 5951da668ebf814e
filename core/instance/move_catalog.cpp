#include "core/instance/move_catalog.hpp"

#include "core/access/authorize.hpp"
#include "core/artifact/key_objects.hpp"
#include "core/audit/audit.hpp"
#include "core/audit/event_signatures.hpp"
#include "core/audit/host_head.hpp"
#include "core/audit/verify.hpp"
#include "core/catalog/copy_rows.hpp"
#include "core/catalog/db/pg_url.hpp"
#include "core/catalog/db_roles.hpp"
#include "core/config/config.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"

namespace cairn {

namespace stdfs = std::filesystem;

namespace {

// The events verified; throws (exit 4) if the trail does not verify.
int64_t require_verified(catalog::Catalog& catalog, const std::string& when) {
    const audit::VerifyReport r = audit::verify(catalog);
    if (!r.ok())
        throw Error(ErrorKind::integrity, "the audit trail of the " + catalog.name() + " does not verify " + when + ": " + r.message,
                    "run 'cairn audit verify' and resolve it first; nothing was moved");
    return r.events;
}

// In SQLite's write transaction: moves the wrapped keys out of the rows
// into key objects (so none enters the database: core/artifact/key_objects.hpp),
// then copies every row into the database in one transaction of its own.
void move_rows(Instance& inst, catalog::Catalog& from, catalog::Catalog& to, std::vector<std::string>& key_objects,
               bool& copied, CatalogMove& out) {
    audit::append(from, inst.actor(), {"catalog.migrate", {}, "ok", std::nullopt, {{"to", to.name()}}});
    out.keys_moved = artifact::move_keys_to_objects(inst, key_objects);
    to.write_transaction([&] {
        to.migrate();
        if (auto existing = catalog::instance_info(to, "instance_id"))
            throw Error(ErrorKind::conflict, "the " + to.name() + " already holds instance " + *existing,
                        "use another database; nothing was moved");
        catalog::DbRolesMade made = catalog::create_db_roles(to);
        out.db_roles = std::move(made.names);
        out.db_roles_not_created = std::move(made.not_created);
        out.rows = catalog::copy_rows(from, to);
        // On the shared catalog every event from the next one on is signed.
        audit::record_public_key(to, audit::load_public_key(inst.dir()));
        audit::set_signed_from(to, audit::newest_seq(to) + 1);
        out.events = require_verified(to, "after the copy");
    });
    copied = true;
}

} // namespace

CatalogMove move_catalog_to_postgres(Instance& inst, const std::string& url, bool allow_plain) {
    access::authorize(inst, keys::Action::administer);
    catalog::Catalog& from = inst.catalog();
    if (!from.is_sqlite())
        throw Error(ErrorKind::usage, "the catalog is already in the " + from.name(), "nothing to migrate");
    const auto target = catalog::db::pg_target(url, allow_plain);
    config::Config cfg = inst.config();
    cfg.catalog_url = url;
    cfg.catalog_allow_plain = allow_plain;
    require_verified(from, "before the move");

    auto to = catalog::Catalog::open_postgres(target.conninfo, inst.dir(), true);
    CatalogMove out;
    out.to = to->name();
    std::vector<std::string> key_objects;
    bool copied = false; // the database committed the copy: its rows name the key objects
    try {
        from.write_transaction([&] {
            move_rows(inst, from, *to, key_objects, copied, out);
            // The database now holds the instance; from here config.yaml names it.
            config::save(inst.dir() / "config.yaml", cfg);
        });
    } catch (...) {
        // SQLite rolled back, so its rows hold their keys again; the key
        // objects go unless the database's copy refers to them.
        if (!copied)
            for (const auto& name : key_objects) (void)inst.storage().remove(name);
        throw;
    }
    // The planner's statistics for the copied rows, which autovacuum would
    // gather only later: without them a lineage walk over 10,000 artifacts
    // took 4x as long (nested loops over what it takes for empty tables).
    to->sql().execute("ANALYZE");
    return out;
}

stdfs::path retire_sqlite_catalog(const stdfs::path& instance_dir) {
    // SQLite finds a database's -wal and -shm by its name: renamed together,
    // the retired file stays a whole database whatever the WAL still held.
    const stdfs::path retired = instance_dir / "catalog.db.migrated";
    for (const char* suffix : {"-wal", "-shm", ""}) {
        const stdfs::path file = instance_dir / (std::string("catalog.db") + suffix);
        std::error_code ec;
        if (*suffix == '\0' || stdfs::exists(file, ec)) stdfs::rename(file, retired.string() + suffix);
    }
    fs::sync_dir(instance_dir);
    return retired;
}

} // namespace cairn
