#include "core/instance/init.hpp"

#include "core/audit/audit.hpp"
#include "core/audit/event_signatures.hpp"
#include "core/catalog/db/pg_url.hpp"
#include "core/instance/instance.hpp"
#include "core/audit/host_head.hpp"
#include "core/audit/keys.hpp"
#include "core/catalog/catalog.hpp"
#include "core/catalog/db_roles.hpp"
#include "core/config/config.hpp"
#include "core/keys/keyring.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"
#include "core/util/time.hpp"

namespace cairn {

namespace stdfs = std::filesystem;

namespace {

std::string normalise_storage_url(const std::string& url, const stdfs::path& instance_dir) {
    if (url.empty()) return (instance_dir / ".cairn" / "storage").string();
    if (url.find("://") != std::string::npos) return url;
    return stdfs::absolute(url).lexically_normal().string();
}

void check_probe(const storage::ProbeReport& probe, const std::string& url, bool allow_unsafe) {
    if (!probe.can_write || !probe.can_read || !probe.can_list || !probe.can_delete) {
        std::string missing;
        if (!probe.can_write) missing += " write";
        if (!probe.can_read) missing += " read";
        if (!probe.can_list) missing += " list";
        if (!probe.can_delete) missing += " delete";
        std::string note = probe.notes.empty() ? "" : " (" + probe.notes.front() + ")";
        throw Error(ErrorKind::storage, "storage " + url + " failed the probe:" + missing + note,
                    "check the location exists, the credentials and the permissions");
    }
    bool unsafe = probe.object_lock || (probe.soft_delete_days && *probe.soft_delete_days > 0);
    if (unsafe && !allow_unsafe)
        throw Error(ErrorKind::config,
                    "storage " + url + " may keep deleted data beyond the 30-day deletion deadline" +
                        (probe.object_lock ? " (object lock is enabled)" : " (soft delete is enabled)"),
                    "disable it, or pass --allow-unsafe-storage to accept the risk (purge status will flag it)");
}

// This host recorded the trail of an instance at this path: a new one there
// must not silently take its place (docs/AUDIT.md, "Anchors").
std::string require_no_recorded_head(const stdfs::path& final_dir, bool replace) {
    const auto head = audit::read_host_head(final_dir);
    if (!head) return {};
    if (!replace)
        throw Error(ErrorKind::conflict,
                    "this host recorded the audit trail of instance " + head->instance_id + " at " + final_dir.string() +
                        " (up to seq " + std::to_string(head->seq) + "; head file " +
                        audit::head_file_for(final_dir)->string() + "); a new instance there would hide what happened to it",
                    "restore the old instance from a backup; if it was removed on purpose, run 'cairn init --replace-instance'");
    return head->instance_id;
}

// A PostgreSQL catalog gets its four group roles where the login may create
// them; members' logins join them with access grant --db-login.
void create_roles(catalog::Catalog& catalog, InitResult& result) {
    catalog::DbRolesMade made = catalog::create_db_roles(catalog);
    result.db_roles = std::move(made.names);
    result.db_roles_not_created = std::move(made.not_created);
    if (!result.db_roles_not_created.empty())
        result.warnings.push_back("database roles not created: " + result.db_roles_not_created +
                                  "; until they exist every member's login needs the owner's grants (docs/TEAMS.md)");
}

} // namespace

InitResult init_instance(const InitOptions& options) {
    InitOptions o = options;
    o.dir = stdfs::absolute(o.dir).lexically_normal();
    if (o.dir.filename().empty()) o.dir = o.dir.parent_path();
    const stdfs::path final_dir = o.dir / ".cairn";
    if (stdfs::exists(final_dir))
        throw Error(ErrorKind::conflict, "an instance already exists at " + final_dir.string(),
                    "use it, or remove it first");
    const std::string replaced = require_no_recorded_head(final_dir, o.replace_instance);
    fs::ensure_dir(o.dir, stdfs::perms::owner_all | stdfs::perms::group_read | stdfs::perms::group_exec |
                              stdfs::perms::others_read | stdfs::perms::others_exec);

    config::Config cfg;
    cfg.instance_id = new_uid();
    cfg.name = o.name.empty() ? stdfs::absolute(o.dir).lexically_normal().filename().string() : o.name;
    cfg.storage.url = normalise_storage_url(o.storage, stdfs::absolute(o.dir));
    cfg.storage.endpoint = o.endpoint;
    cfg.storage.region = o.region;
    cfg.storage.allow_http = o.allow_http;
    cfg.storage.addressing = o.addressing;
    cfg.allow_unsafe_storage = o.allow_unsafe_storage;
    cfg.key_file = o.key_file;
    cfg.catalog_url = o.catalog_url;
    cfg.catalog_allow_plain = o.allow_plain_catalog;
    if (!cfg.catalog_url.empty()) catalog::db::pg_target(cfg.catalog_url, cfg.catalog_allow_plain); // checked up front

    InitResult result;
    result.instance_id = cfg.instance_id;
    result.storage_url = cfg.storage.url;
    result.instance_dir = stdfs::absolute(final_dir);

    // Assemble under a temporary name; a failure anywhere removes it.
    const stdfs::path temp_dir = o.dir / (".cairn.init-" + random_hex(6));
    struct Cleanup {
        stdfs::path dir;
        ~Cleanup() { std::error_code ec; if (!dir.empty()) stdfs::remove_all(dir, ec); }
    } cleanup{temp_dir};
    fs::ensure_dir(temp_dir, stdfs::perms::owner_all);

    const bool default_storage = o.storage.empty();
    storage::Location probe_location = cfg.storage;
    if (default_storage) probe_location.url = stdfs::absolute(temp_dir / "storage").string();
    result.probe = storage::open_backend(probe_location)->probe();
    check_probe(result.probe, cfg.storage.url, o.allow_unsafe_storage);

    result.key_file = o.key_file.empty() ? keys::default_key_path(cfg.instance_id) : stdfs::path(o.key_file);
    if (stdfs::exists(result.key_file))
        throw Error(ErrorKind::conflict, "key file " + result.key_file.string() + " already exists",
                    "choose another --key-file; cairn never overwrites a key");
    fs::ensure_dir(result.key_file.parent_path(), stdfs::perms::owner_all);

    config::save(temp_dir / "config.yaml", cfg);
    const crypto::SecretKey instance_key = crypto::SecretKey::random();
    // The audit keys must exist before the first event (init's own) is chained.
    audit::create_audit_keys(temp_dir);
    {
        auto catalog = open_catalog(cfg, temp_dir, true);
        Actor actor = current_actor(o.argv, "");
        catalog->write_transaction([&] {
            // The schema, the instance and its roles commit together or not at all.
            catalog->migrate();
            // Only a database without an instance takes a new one (the
            // SQLite file is new; a PostgreSQL database may be in use).
            if (auto existing = catalog::instance_info(*catalog, "instance_id"))
                throw Error(ErrorKind::conflict, "the " + catalog->name() + " already holds instance " + *existing,
                            "use another database (or schema), or connect to that instance");
            sql::Statement info(catalog->sql(), "INSERT INTO instance_info (name, value) VALUES ('instance_id', ?), ('name', ?), ('key_id', ?),"
                                                 " ('audit_trail', 'required')");
            info.bind(1, cfg.instance_id);
            info.bind(2, cfg.name);
            info.bind(3, keys::key_id_of(instance_key));
            info.exec();
            // The first published audit checkpoint is due a day from now (core/audit/published.hpp).
            sql::Statement published(catalog->sql(), "INSERT INTO instance_info (name, value) VALUES ('audit_published_ms', ?)");
            published.bind(1, std::to_string(now_ms()));
            published.exec();
            sql::Statement st(catalog->sql(), "INSERT INTO storage (url, created_at, probe) VALUES (?, ?, ?)");
            st.bind(1, cfg.storage.url);
            st.bind(2, static_cast<int64_t>(now_ms()));
            st.bind(3, std::string(result.probe.versioning ? "versioning " : "") + (result.probe.object_lock ? "object-lock " : "") +
                           (result.probe.write_once == std::optional<bool>(false) ? "no-write-once" : ""));
            st.exec();
            audit::record_public_key(*catalog, audit::load_public_key(temp_dir));
            if (!catalog->is_sqlite()) {
                create_roles(*catalog, result);
                // A shared catalog signs every event, from init's own on.
                audit::set_signed_from(*catalog, 1);
            }
            nlohmann::json details = {{"instance_id", cfg.instance_id}, {"storage", cfg.storage.url}};
            if (!replaced.empty()) details["replaces_instance"] = replaced;
            if (!result.db_roles.empty()) details["db_roles"] = result.db_roles;
            audit::append(*catalog, actor, {"init", {}, "ok", std::nullopt, details});
        });
    }
    keys::write_key_file(result.key_file, instance_key, o.passphrase);
    stdfs::rename(temp_dir, final_dir);
    cleanup.dir.clear();
    fs::sync_dir(o.dir);
    result.replaced_instance_id = replaced;
    if (!replaced.empty()) audit::remove_host_head(final_dir);
    try {
        audit::record_host_head(*open_catalog(cfg, final_dir), final_dir);
    } catch (const std::exception& e) {
        result.warnings.push_back(std::string("cannot record the audit head outside the instance: ") + e.what());
    }
    return result;
}

} // namespace cairn
