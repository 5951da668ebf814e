#pragma once
// Transforms: the code a run executes (a script, notebook, pipeline or
// command). A transform is identified by key + kind + the SHA-256 of its
// source when it is a file, so editing a script yields a new transform.
#include "core/catalog/catalog.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cairn::lineage {

// The transform kinds a user may name; "manual" is reserved for the implicit
// runs of `save --from`.
inline const std::vector<std::string> k_transform_kinds = {"script", "notebook", "pipeline", "command"};
inline constexpr const char* k_manual_kind = "manual";

struct TransformSpec {
    std::string key;
    std::string kind;
    std::optional<std::string> source_hash; // SHA-256 hex when the source is a file
    std::string source_path;                // absolute path of that file, else ""
};

struct TransformRow {
    int64_t id = 0;
    std::string uid;
    std::string key;
    std::string kind;
    std::optional<std::string> source_hash;
    std::string source_path;
    int64_t created_at = 0;
};

// Describes PATH_OR_NAME. An existing regular file is hashed; its key is its
// path relative to `project_dir` when inside it, else its absolute path, and
// its kind defaults to "notebook" for .ipynb and "script" otherwise. Any
// other text is a name with kind "command" unless `kind` says otherwise.
// Throws usage error for an empty name or an unknown kind.
TransformSpec describe_transform(const std::string& path_or_name, const std::string& kind,
                                 const std::filesystem::path& project_dir);

// The transform for `argv` of `run exec` without --transform: the script when
// argv[0] is an interpreter followed by an existing file (python3 train.py),
// argv[0] itself when it is a file (./etl.sh), else the command name.
TransformSpec describe_command(const std::vector<std::string>& argv, const std::filesystem::path& project_dir);

// Finds the transform with the same key, kind and source hash, or inserts it.
// Call inside a write transaction.
TransformRow ensure_transform(catalog::Catalog& catalog, const TransformSpec& spec);

std::optional<TransformRow> find_transform(catalog::Catalog& catalog, int64_t id);

} // namespace cairn::lineage
