#pragma once
#include "core/artifact/range.hpp"
#include "core/catalog/artifacts.hpp"
#include "core/instance/instance.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace cairn::artifact {

struct LoadOptions {
    std::string ref;
    // "" = a private working copy in the cache's work dir; "-" = stdout.
    std::string output;
    bool force = false; // overwrite an existing output file
    std::function<void(uint64_t, uint64_t)> progress;
    // Only these bytes, verified against the tree hash (needs -o PATH or -o -).
    std::optional<ByteRange> range = std::nullopt;
};

struct LoadResult {
    catalog::ArtifactRow artifact;
    std::filesystem::path path; // where the plaintext is (empty for stdout)
    bool from_cache = false;
};

// Serves the ciphertext from the cache, else downloads it (and caches it);
// decrypts and authenticates every segment and checks the content hash
// before the output appears under its final name. A cache entry that fails
// authentication is discarded and fetched again; plaintext is 0600.
// With a range, only the segments of the leaf table and of the leaves
// covering it are read (from storage, a cache hit or a local store) and
// verified (core/crypto/tree_range.hpp); nothing is cached.
LoadResult load(Instance& instance, const LoadOptions& options);

} // namespace cairn::artifact
