#include "core/instance/connect.hpp"

#include "core/audit/event_signatures.hpp"
#include "core/audit/host_head.hpp"
#include "core/audit/keys.hpp"
#include "core/catalog/catalog.hpp"
#include "core/catalog/db/pg_url.hpp"
#include "core/config/config.hpp"
#include "core/instance/instance.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

namespace cairn {

namespace stdfs = std::filesystem;

namespace {

// The location init gave the instance: the catalog's first storage row.
std::string first_storage_url(catalog::Catalog& catalog) {
    sql::Statement q(catalog.sql(), "SELECT url FROM storage ORDER BY id LIMIT 1");
    if (!q.executeStep())
        throw Error(ErrorKind::integrity, "the " + catalog.name() + " holds no storage location");
    return q.getColumn(0).getString();
}

audit::PublicKey recorded_public_key(catalog::Catalog& catalog) {
    const auto hex = catalog::instance_info(catalog, std::string(audit::k_public_key_setting));
    if (!hex)
        throw Error(ErrorKind::not_found,
                    "the " + catalog.name() + " does not record the instance's audit public key",
                    "instances made before 'cairn connect' existed lack it: set this machine up with a copy of "
                    "config.yaml and audit-sign.pub instead (docs/TEAMS.md)");
    return audit::public_key_from_hex(*hex);
}

} // namespace

ConnectResult connect_instance(const ConnectOptions& options) {
    const stdfs::path base = stdfs::absolute(options.dir).lexically_normal();
    const stdfs::path final_dir = base / ".cairn";
    if (stdfs::exists(final_dir))
        throw Error(ErrorKind::conflict, "an instance already exists at " + final_dir.string(),
                    "connect in another directory, or use that instance");
    const auto target = catalog::db::pg_target(options.catalog_url, options.allow_plain_catalog);

    config::Config cfg;
    cfg.catalog_url = options.catalog_url;
    cfg.catalog_allow_plain = options.allow_plain_catalog;
    cfg.storage.endpoint = options.endpoint;
    cfg.storage.region = options.region;
    cfg.storage.addressing = options.addressing;
    cfg.storage.allow_http = options.allow_http;

    fs::ensure_dir(base, stdfs::perms::owner_all | stdfs::perms::group_read | stdfs::perms::group_exec |
                             stdfs::perms::others_read | stdfs::perms::others_exec);
    const stdfs::path temp_dir = base / (".cairn.connect-" + random_hex(6));
    struct Cleanup {
        stdfs::path dir;
        ~Cleanup() { std::error_code ec; if (!dir.empty()) stdfs::remove_all(dir, ec); }
    } cleanup{temp_dir};
    fs::ensure_dir(temp_dir, stdfs::perms::owner_all);

    ConnectResult out;
    {
        auto catalog = catalog::Catalog::open_postgres(target.conninfo, temp_dir, false);
        catalog->read_transaction([&] {
            const auto id = catalog::instance_info(*catalog, "instance_id");
            if (!id)
                throw Error(ErrorKind::config, "the " + catalog->name() + " holds no cairn instance",
                            "check the URL, or create one there with 'cairn init --catalog URL'");
            cfg.instance_id = *id;
            cfg.name = catalog::instance_info(*catalog, "name").value_or(*id);
            cfg.storage.url = first_storage_url(*catalog);
            const audit::PublicKey key = recorded_public_key(*catalog);
            out.audit_key_fingerprint = audit::fingerprint(key);
            if (!options.expect_fingerprint.empty() && options.expect_fingerprint != out.audit_key_fingerprint)
                throw Error(ErrorKind::integrity,
                            "the instance's audit key is " + out.audit_key_fingerprint + ", not " +
                                options.expect_fingerprint + " as expected",
                            "ask the instance's admin for its fingerprint ('cairn audit public-key' where init ran); "
                            "nothing was written");
            audit::write_public_key(temp_dir, key);
        });
    }
    // Another instance this host saw at this path: a new one there would hide it (as init).
    if (const auto head = audit::read_host_head(final_dir); head && head->instance_id != cfg.instance_id)
        throw Error(ErrorKind::conflict,
                    "this host recorded the audit trail of instance " + head->instance_id + " at " + final_dir.string(),
                    "connect in another directory");
    config::save(temp_dir / "config.yaml", cfg);
    fs::sync_dir(temp_dir);
    stdfs::rename(temp_dir, final_dir);
    cleanup.dir.clear();
    fs::sync_dir(base);
    out.instance_dir = final_dir;
    out.instance_id = cfg.instance_id;
    out.name = cfg.name;
    out.storage_url = cfg.storage.url;
    return out;
}

} // namespace cairn
