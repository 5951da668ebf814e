#pragma once
#include "core/catalog/artifacts.hpp"
#include "core/instance/instance.hpp"
#include "core/lineage/link.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cairn::artifact {

using Progress = std::function<void(uint64_t done, uint64_t total)>;

struct SaveOptions {
    std::filesystem::path path;
    std::string key;         // "" = the file or folder name
    std::string description;
    std::vector<std::string> from; // --from REFs: inputs it was derived from (lineage)
    Progress progress;       // optional; called from the hashing loop
    bool sha256 = false;     // also compute the plain SHA-256 (reported, and recorded in the audit event)
};

struct SaveResult {
    catalog::ArtifactRow artifact;
    bool existed = false; // same content was already saved under this key
    lineage::OutputLink lineage; // the run it was recorded as an output of
    // Folder entries left out because they are cairn's own instance, cache
    // or key files (relative to the saved folder).
    std::vector<std::string> skipped;
    // The plain SHA-256 of the content, when SaveOptions::sha256 asked for it.
    std::optional<std::string> sha256;
};

// Hashes and encrypts PATH in one streaming pass into a cache temp file,
// uploads it under a random object name, then records the artifact and its
// audit event in one transaction. A crash at any point leaves either no row
// or a row whose object is complete; an uploaded object without a row is
// listed in pending_upload and removed by cleanup_leftovers(). A failed
// upload is removed at once (object and unfinished multipart upload) when
// the store answers, else left to cleanup_leftovers(). Lineage
// (CAIRN_RUN, --from) is checked before any work and recorded in the same
// transaction as the artifact (core/lineage/link.hpp).
SaveResult save(Instance& instance, const SaveOptions& options);

// Removes objects and unfinished uploads of saves that died or failed
// before recording their artifact (pending_upload rows older than `age_ms`
// whose process is gone) and stale cache temp files. Safe to run
// concurrently with saves.
int cleanup_leftovers(Instance& instance, int64_t age_ms);

} // namespace cairn::artifact
