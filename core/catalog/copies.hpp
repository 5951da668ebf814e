#pragma once
// The local_copy table: where load made copies of an artifact outside
// storage (host, account, path), and whether each was seen destroyed.
// Purge dooms an artifact's copies when it removes its objects; every cairn
// command then destroys the doomed copies of its own account on its own
// host (core/purge/copies.hpp), and a request is certified only when every
// working copy and cache entry is confirmed gone.
#include "core/catalog/catalog.hpp"
#include "core/instance/actor.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cairn::catalog {

struct LocalCopy {
    int64_t id = 0;
    int64_t artifact_id = 0;
    std::string artifact_uid;
    std::string kind; // working_copy, cache_entry, file, stdout
    std::string host;
    std::string os_user;
    int64_t os_uid = -1;
    std::string path; // "" for file and stdout (exports)
    int64_t created_at = 0;
    std::optional<int64_t> doomed_at;
    std::optional<int64_t> destroyed_at;
    std::string destroyed_by;
    std::string how; // removed, absent
    // A copy cairn keeps and must destroy (not an export in the user's custody).
    bool in_custody() const { return !path.empty(); }
};

// Records a copy made by `actor` (an existing path row is made live again).
// Call inside a write transaction.
void record_copy(Catalog& c, const Actor& actor, int64_t artifact_id, const std::string& kind,
                 const std::string& path, int64_t now);

// Marks every live copy of the artifact for destruction.
void doom_copies(Catalog& c, int64_t artifact_id, int64_t now);

// Doomed copies recorded for this host and OS account, not yet destroyed.
std::vector<LocalCopy> doomed_copies(Catalog& c, const std::string& host, int64_t os_uid);

// Records that a copy is gone; `how` is "removed" or "absent".
void mark_destroyed(Catalog& c, int64_t copy_id, const std::string& by, const std::string& how, int64_t now);

// Every copy of an artifact, oldest first.
std::vector<LocalCopy> copies_of(Catalog& c, int64_t artifact_id);

// Copies in custody of artifacts under deletion that are not yet confirmed
// destroyed (purge status).
std::vector<LocalCopy> outstanding_copies(Catalog& c);

} // namespace cairn::catalog
