#pragma once
// The local content cache: ciphertext objects by object name under
// $XDG_CACHE_HOME/cairn/<instance-id>/objects, with a size limit and
// least-recently-used eviction (an entry's mtime is its last use).
// Entries are never trusted: load authenticates every byte it decrypts and
// drops an entry that fails, fetching it again from storage.
#include "core/util/fs.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cairn::cache {

class Cache {
public:
    Cache(std::filesystem::path root, uint64_t max_bytes);

    const std::filesystem::path& root() const { return m_root; }
    // Private working copies of loaded artifacts live here (purge removes them).
    std::filesystem::path work_dir() const { return m_root / "work"; }

    // Path of a cached object if present with the expected size; marks it used.
    std::optional<std::filesystem::path> lookup(const std::string& object_name, uint64_t expected_size);

    // A temporary file inside the cache (same filesystem, so insert is a rename).
    fs::TempFile new_temp();

    // Moves a completed temp file into the cache under `object_name`.
    std::filesystem::path insert(fs::TempFile& temp, const std::string& object_name);

    // Removes an object's cache entry (idempotent).
    void remove(const std::string& object_name);

    // Evicts least recently used entries until the cache is within its limit.
    // Returns the number of bytes removed.
    uint64_t evict();

    uint64_t size_bytes() const;

    // Removes the temp files of processes that died writing them (a killed
    // save or load): fs::remove_dead_temps under objects/.
    void remove_dead_temps();

private:
    std::filesystem::path path_of(const std::string& object_name) const;

    std::filesystem::path m_root;
    uint64_t m_max_bytes;
};

// The cache root for an instance, from XDG_CACHE_HOME (default ~/.cache).
std::filesystem::path default_cache_root(const std::string& instance_id);

// The same sweep for the cache at `root`, without creating it: every command
// runs it when it opens the instance.
fs::DeadTemps remove_dead_temps(const std::filesystem::path& root);

} // namespace cairn::cache
