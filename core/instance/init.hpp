#pragma once
#include "core/storage/backend.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cairn {

struct InitOptions {
    std::filesystem::path dir;          // where .cairn/ is created
    std::string storage;                // "" = <dir>/.cairn/storage
    std::string catalog_url;            // "" = <dir>/.cairn/catalog.db; else postgresql://...
    bool allow_plain_catalog = false;   // weaker sslmode to a loopback PostgreSQL
    std::string name;
    std::string endpoint, region, addressing;
    bool allow_http = false;
    std::string key_file;               // "" = default path outside the instance
    std::optional<std::string_view> passphrase; // owned by the caller, who wipes it
    bool allow_unsafe_storage = false;  // accept storage that can't delete within 30 days
    std::vector<std::string> argv;
    // This host recorded the audit head of an instance at this path (core/audit/host_head.hpp):
    // without this flag init refuses (a wiped and re-created instance must not pass for the old one).
    bool replace_instance = false;
};

struct InitResult {
    std::filesystem::path instance_dir;
    std::string instance_id;
    std::filesystem::path key_file;
    std::string storage_url;
    storage::ProbeReport probe;
    std::string replaced_instance_id; // the instance whose recorded head --replace-instance removed
    std::vector<std::string> warnings;
    // PostgreSQL: the database roles init created (core/catalog/db_roles.hpp),
    // or why it did not.
    std::vector<std::string> db_roles;
    std::string db_roles_not_created;
};

// Creates an instance: probes the storage first (nothing is written locally
// if it fails), then the key file, config and catalog. The .cairn directory
// is assembled under a temporary name and renamed into place, so a failed
// init leaves nothing behind.
InitResult init_instance(const InitOptions& options);

} // namespace cairn
