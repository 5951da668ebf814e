#pragma once
// Artifact rows and the queries over them.
#include "core/catalog/catalog.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cairn::catalog {

struct ArtifactRow {
    int64_t id = 0;
    std::string uid;
    std::string key;
    int version = 0;
    bool is_latest = false;
    std::string kind; // "file" or "folder"
    std::string hash; // SHA-256 hex of the content (folders: of the packed stream)
    uint64_t size = 0;
    std::string suffix;
    int64_t n_files = 1;
    std::string description;
    int64_t storage_id = 0;
    std::string storage_url;
    std::string object_name;
    uint64_t stored_size = 0;
    std::string wrapped_key;
    std::string key_id;
    std::string state;
    std::string created_by;
    int64_t created_at = 0;
    std::optional<int64_t> run_id;
    std::optional<int64_t> deleted_at;
};

// Every column list in one place so rows are read one way.
extern const char* const k_artifact_columns;
ArtifactRow read_artifact(sql::Statement& q);

std::optional<ArtifactRow> find_by_uid(Catalog& c, const std::string& uid);
std::optional<ArtifactRow> find_version(Catalog& c, const std::string& key, int version);
std::optional<ArtifactRow> find_latest(Catalog& c, const std::string& key);
// An active artifact under `key` with this content hash.
std::optional<ArtifactRow> find_same_content(Catalog& c, const std::string& key, const std::string& hash);
// Active artifacts whose key starts with prefix; latest versions only unless all_versions.
std::vector<ArtifactRow> list_artifacts(Catalog& c, const std::string& prefix, bool all_versions);

// True when some artifact still holds a key starting with `prefix`
// (erased artifacts hold none).
bool any_key_with_prefix(Catalog& c, const std::string& prefix);

int next_version(Catalog& c, const std::string& key);

// True if any artifact not yet deleted has this key.
bool key_in_use(Catalog& c, const std::string& key);

// Inserts a new version and moves is_latest to it. Call inside a write transaction.
int64_t insert_artifact(Catalog& c, ArtifactRow& row);

} // namespace cairn::catalog
