#pragma once
// An opened instance: where it is, its config, catalog, storage, cache and
// keys, and who is acting. Commands get one from open_instance() and pass it
// to core operations.
#include "core/cache/cache.hpp"
#include "core/catalog/catalog.hpp"
#include "core/config/config.hpp"
#include "core/instance/actor.hpp"
#include "core/keys/access.hpp"
#include "core/keys/keyring.hpp"
#include "core/storage/backend.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cairn {

class Instance {
public:
    Instance(std::filesystem::path dir, config::Config config, std::unique_ptr<catalog::Catalog> catalog,
             Actor actor);

    // The .cairn directory.
    const std::filesystem::path& dir() const { return m_dir; }
    const config::Config& config() const { return m_config; }
    catalog::Catalog& catalog() { return *m_catalog; }
    const Actor& actor() const { return m_actor; }

    // Opened on first use so commands that don't touch data (ls, audit) never
    // need the key or the network.
    storage::Backend& storage();
    int64_t storage_id();
    cache::Cache& cache();
    // Who acts: the key file, a write-only key file or a member
    // (CAIRN_IDENTITY); see core/access/identity.hpp. Needs no passphrase.
    const keys::Principal& principal();
    // Where the instance signs its events (core/audit/event_signatures.hpp):
    // the key this process signs with, $CAIRN_SIGNING_KEY (which must be the
    // acting member's registered key) or the instance's audit-sign.key.
    // Permission error when there is none, before the command does anything.
    void prepare_signer();
    // The key ring of principal(); refuses a key file with an outdated key.
    keys::KeyRing& keyring();
    std::filesystem::path key_path() const;
    // Forgets the opened keys (after a rotation).
    void reset_keys();

    // Replace the storage (tests inject faulty backends).
    void set_storage(std::unique_ptr<storage::Backend> backend);

private:
    std::filesystem::path m_dir;
    config::Config m_config;
    std::unique_ptr<catalog::Catalog> m_catalog;
    Actor m_actor;
    std::unique_ptr<storage::Backend> m_storage;
    std::unique_ptr<cache::Cache> m_cache;
    std::unique_ptr<keys::KeyRing> m_keyring;
    std::optional<keys::Principal> m_principal;
    int64_t m_storage_id = -1;
};

// Finds the .cairn directory: `flag` (--instance; the .cairn dir or the
// directory holding it), else $CAIRN_INSTANCE, else the nearest .cairn/ above
// the working directory. Throws config error naming what was tried.
std::filesystem::path find_instance_dir(const std::string& flag);

// The catalog `cfg` names for the instance in `dir` (its .cairn directory):
// .cairn/catalog.db, or the PostgreSQL database of catalog.url (checked by
// catalog/db/pg_url.hpp first). `create` as for Catalog::open.
std::unique_ptr<catalog::Catalog> open_catalog(const config::Config& cfg, const std::filesystem::path& dir,
                                               bool create = false);

std::unique_ptr<Instance> open_instance(const std::string& flag, const std::vector<std::string>& argv);
// The same with the catalog opened read-only (catalog::Catalog::open_read_only):
// for audit verify, which must work on an auditor's read-only copy.
std::unique_ptr<Instance> open_instance_read_only(const std::string& flag, const std::vector<std::string>& argv);

} // namespace cairn
