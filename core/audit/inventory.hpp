#pragma once
// The data map: every artifact the catalog knows (active, pending deletion
// and deleted tombstones) with where it is stored, how it is encrypted, which
// retention rule applies to its key and how far its deletion got.
#include "core/catalog/catalog.hpp"
#include "core/config/config.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cairn::audit {

// The only object format cairn writes (docs/FORMAT.md section 1).
inline constexpr const char* k_object_encryption = "AES-256-GCM STREAM v1";

struct InventoryDeletion {
    std::string request_uid;
    std::string request_state; // pending, cancelled, done
    std::string target_state;  // pending, objects_removed, shredded, verified, cancelled
    std::string reason;
    std::string policy;        // the retention rule that created it, if any
    int64_t requested_at = 0;
    int64_t due_at = 0;
    int64_t deadline_at = 0;
    std::optional<int64_t> completed_at;
};

struct InventoryEntry {
    std::string uid;
    std::string key; // empty once shredded
    int version = 0;
    std::string kind;
    int64_t size = 0;
    std::string state;       // active, pending_deletion, deleted
    std::string storage_url; // where the object is (or was, for deleted artifacts)
    std::string object_name; // empty once shredded
    std::string encryption;  // k_object_encryption
    std::string key_id;      // the instance key that wraps its data key
    bool data_key_shredded = false;
    int64_t created_at = 0;
    std::optional<int64_t> deleted_at;
    std::string retention_rule; // match pattern of the first rule for its key, "" if none
    std::optional<InventoryDeletion> deletion; // the latest request that names it
};

// Every artifact in catalog order. A rule applies when its glob
// (purge::glob_match) matches the key; the first matching rule wins, as in
// purge::plan_retention. Reads only the catalog.
std::vector<InventoryEntry> inventory(catalog::Catalog& catalog, const std::vector<config::RetentionRule>& rules);

nlohmann::json to_json(const InventoryEntry& e);

} // namespace cairn::audit
