#pragma once
// A private temporary directory beside its destination (a folder load
// unpacks into one, then renames it into place). Like TempFile, its process
// holds an exclusive flock(2) on it, here on the directory itself, so
// remove_dead_temp_dirs() can tell a killed process's leftovers (plaintext!)
// from a directory still being written.
#include "core/util/fs.hpp"

#include <filesystem>
#include <string_view>

namespace cairn::fs {

class TempDir {
public:
    // Makes DIR/PREFIX.dir-RANDOM, mode 0700.
    TempDir(const stdfs::path& dir, std::string_view prefix);
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir(); // removes it with its contents unless committed
    const stdfs::path& path() const { return m_path; }
    // Renames it to `dest` (which must not exist or be an empty folder).
    void commit(const stdfs::path& dest);

private:
    stdfs::path m_path;
    Fd m_lock;
    bool m_committed = false;
};

// Removes the directories TempDir(dir, prefix) made whose process is gone.
// Never fails: a directory it cannot judge stays.
DeadTemps remove_dead_temp_dirs(const stdfs::path& dir, std::string_view prefix);

} // namespace cairn::fs
