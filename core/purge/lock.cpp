#include "core/purge/lock.hpp"

#include "core/util/error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>

namespace cairn::purge {

namespace {

long read_pid(int fd) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    return std::strtol(buf, nullptr, 10);
}

} // namespace

std::optional<RunLock> RunLock::try_acquire(const std::filesystem::path& lock_file, long* holder_pid) {
    int raw = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (raw < 0)
        throw Error(ErrorKind::permission, "cannot open " + lock_file.string() + ": " + std::strerror(errno),
                    "check the permissions of the instance directory");
    fs::Fd fd(raw);
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        if (errno != EWOULDBLOCK)
            throw Error(ErrorKind::internal, "cannot lock " + lock_file.string() + ": " + std::strerror(errno));
        if (holder_pid) *holder_pid = read_pid(fd.get());
        return std::nullopt;
    }
    // The pid is only informative (for the message a second run prints); the
    // lock itself is the flock, which dies with its holder.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) == 0)
        fs::write_all(fd.get(), std::as_bytes(std::span(pid.data(), pid.size())), lock_file);
    return RunLock(std::move(fd));
}

RunLock RunLock::acquire(const std::filesystem::path& lock_file) {
    long pid = 0;
    if (auto lock = try_acquire(lock_file, &pid)) return std::move(*lock);
    throw Error(ErrorKind::conflict,
                "another purge run is in progress" + (pid > 0 ? " (pid " + std::to_string(pid) + ")" : std::string()),
                "wait for it to finish; a crashed run releases the lock by itself");
}

RunLock RunLock::acquire(const std::filesystem::path& lock_file, catalog::Catalog& catalog) {
    RunLock local = acquire(lock_file);
    if (!catalog.try_session_lock(catalog::Catalog::SessionLock::purge_run))
        throw Error(ErrorKind::conflict, "another purge run is in progress on a machine sharing the " + catalog.name(),
                    "wait for it to finish; a crashed run releases the lock when its connection ends");
    return local;
}

} // namespace cairn::purge
