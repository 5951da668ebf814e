#include "core/instance/instance.hpp"

#include "core/access/identity.hpp"
#include "core/access/member_audit.hpp"
#include "core/audit/event_signatures.hpp"
#include "core/catalog/db/pg_url.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

#include <cstdlib>

namespace cairn {

namespace stdfs = std::filesystem;

Instance::Instance(stdfs::path dir, config::Config config, std::unique_ptr<catalog::Catalog> catalog,
                   Actor actor)
    : m_dir(std::move(dir)), m_config(std::move(config)), m_catalog(std::move(catalog)),
      m_actor(std::move(actor)) {}

storage::Backend& Instance::storage() {
    if (!m_storage) m_storage = storage::with_retry(storage::open_backend(m_config.storage));
    return *m_storage;
}

void Instance::set_storage(std::unique_ptr<storage::Backend> backend) { m_storage = std::move(backend); }

int64_t Instance::storage_id() {
    if (m_storage_id >= 0) return m_storage_id;
    sql::Statement q(m_catalog->sql(), "SELECT id FROM storage WHERE url = ?");
    q.bind(1, m_config.storage.url);
    if (q.executeStep()) return m_storage_id = q.getColumn(0).getInt64();
    m_catalog->write_transaction([&] {
        sql::Statement ins(m_catalog->sql(),
                              "INSERT INTO storage (url, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING");
        ins.bind(1, m_config.storage.url);
        ins.bind(2, now_ms());
        ins.exec();
    });
    q.reset();
    q.executeStep();
    return m_storage_id = q.getColumn(0).getInt64();
}

cache::Cache& Instance::cache() {
    if (!m_cache)
        m_cache = std::make_unique<cache::Cache>(cache::default_cache_root(m_config.instance_id),
                                                 m_config.cache_max_bytes);
    return *m_cache;
}

stdfs::path Instance::key_path() const {
    if (const char* env = std::getenv("CAIRN_KEY_FILE"); env && *env) return env;
    if (!m_config.key_file.empty()) return m_config.key_file;
    return keys::default_key_path(m_config.instance_id);
}

const keys::Principal& Instance::principal() {
    if (!m_principal) {
        keys::Principal who = access::find_principal(*m_catalog, key_path());
        // A member on a machine without audit key files (cairn connect)
        // chains with the key of their grant.
        access::install_member_audit_key(*m_catalog, m_dir, who);
        m_actor.credential = keys::credential_label(who);
        m_principal = std::move(who);
    }
    return *m_principal;
}

void Instance::prepare_signer() {
    if (!audit::signed_from(*m_catalog)) return;
    if (access::signing_key_from_env()) {
        m_actor.signer = access::member_signer(*m_catalog, principal());
        return;
    }
    if (!audit::instance_signer(m_dir)) throw audit::no_signer_error();
}

keys::KeyRing& Instance::keyring() {
    if (!m_keyring) m_keyring = access::open_keyring(*m_catalog, key_path(), principal());
    return *m_keyring;
}

void Instance::reset_keys() {
    m_keyring.reset();
    m_principal.reset();
}

stdfs::path find_instance_dir(const std::string& flag) {
    auto as_instance = [](const stdfs::path& p) -> std::optional<stdfs::path> {
        if (p.filename() == ".cairn" && stdfs::is_directory(p)) return p;
        if (stdfs::is_directory(p / ".cairn")) return p / ".cairn";
        return std::nullopt;
    };
    if (!flag.empty()) {
        if (auto dir = as_instance(stdfs::absolute(flag))) return *dir;
        throw Error(ErrorKind::config, "no cairn instance at " + flag + " (--instance)",
                    "run 'cairn init " + flag + "' or pass the right directory");
    }
    if (const char* env = std::getenv("CAIRN_INSTANCE"); env && *env) {
        if (auto dir = as_instance(stdfs::absolute(env))) return *dir;
        throw Error(ErrorKind::config, std::string("no cairn instance at ") + env + " (CAIRN_INSTANCE)",
                    "fix CAIRN_INSTANCE or run 'cairn init'");
    }
    std::error_code ec;
    for (stdfs::path p = stdfs::current_path(ec); !ec && !p.empty(); p = p.parent_path()) {
        if (auto dir = as_instance(p)) return *dir;
        if (p == p.root_path()) break;
    }
    throw Error(ErrorKind::config, "no cairn instance here or in any parent directory",
                "run 'cairn init', or use --instance DIR or CAIRN_INSTANCE");
}

std::unique_ptr<catalog::Catalog> open_catalog(const config::Config& cfg, const stdfs::path& dir, bool create) {
    if (cfg.catalog_url.empty()) return catalog::Catalog::open(dir / "catalog.db", create);
    const auto target = catalog::db::pg_target(cfg.catalog_url, cfg.catalog_allow_plain);
    return catalog::Catalog::open_postgres(target.conninfo, dir, create);
}

namespace {

// A catalog copied in from another instance would pass for this one's.
void require_own_catalog(catalog::Catalog& catalog, const config::Config& cfg) {
    const std::string found = catalog.write_once_info("instance_id").value_or("");
    if (found != cfg.instance_id)
        throw Error(ErrorKind::integrity,
                    "the " + catalog.name() + " belongs to instance " + (found.empty() ? "(none)" : found) +
                        ", but config.yaml names instance " + cfg.instance_id,
                    "restore this instance's own catalog.db from a backup");
}

std::unique_ptr<Instance> open_with(const std::string& flag, const std::vector<std::string>& argv, bool read_only) {
    stdfs::path dir = find_instance_dir(flag);
    config::Config cfg = config::load(dir / "config.yaml");
    auto catalog = read_only && cfg.catalog_url.empty() ? catalog::Catalog::open_read_only(dir / "catalog.db")
                                                        : open_catalog(cfg, dir);
    require_own_catalog(*catalog, cfg);
    Actor actor = current_actor(argv, cfg.identity);
    return std::make_unique<Instance>(dir, std::move(cfg), std::move(catalog), std::move(actor));
}

} // namespace

std::unique_ptr<Instance> open_instance(const std::string& flag, const std::vector<std::string>& argv) {
    return open_with(flag, argv, false);
}

std::unique_ptr<Instance> open_instance_read_only(const std::string& flag, const std::vector<std::string>& argv) {
    return open_with(flag, argv, true);
}

} // namespace cairn
