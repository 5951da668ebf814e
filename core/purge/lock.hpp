#pragma once
// One purge run at a time per instance: an flock(2) on .cairn/purge.lock.
// The kernel releases the lock when the holder exits, however it exits, so a
// crashed or killed run never blocks the next one.
#include "core/catalog/catalog.hpp"
#include "core/util/fs.hpp"

#include <filesystem>
#include <optional>

namespace cairn::purge {

class RunLock {
public:
    // Takes the lock without waiting and writes this process's pid into the
    // file. Throws Error(conflict) "another purge run is in progress (pid N)"
    // when another process (or another open file in this one) holds it.
    static RunLock acquire(const std::filesystem::path& lock_file);

    // The same, and also across every machine sharing a PostgreSQL catalog
    // (Catalog::try_session_lock, held until the process ends).
    static RunLock acquire(const std::filesystem::path& lock_file, catalog::Catalog& catalog);

    // Returns the lock, or nullopt and the holder's pid (0 if unknown).
    static std::optional<RunLock> try_acquire(const std::filesystem::path& lock_file, long* holder_pid = nullptr);

    RunLock(RunLock&&) = default;
    RunLock& operator=(RunLock&&) = default;
    // Closing the descriptor releases the lock.
    ~RunLock() = default;

private:
    explicit RunLock(fs::Fd fd) : m_fd(std::move(fd)) {}
    fs::Fd m_fd;
};

} // namespace cairn::purge
