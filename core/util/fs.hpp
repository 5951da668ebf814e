#pragma once
// File helpers that know nothing of cairn: atomic writes, private files,
// descriptors with RAII. All functions throw cairn::Error on failure with a
// message that names the path.
#include "core/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cairn::fs {

namespace stdfs = std::filesystem;

// The most read_file reads unless told otherwise: config, key, passphrase,
// credential and checkpoint files are a few KiB.
constexpr uint64_t k_max_small_file = 1 << 20;

// Reads a whole regular file of at most max_bytes, straight into the string
// it returns (no other copy is left in memory: key files are read this way).
// A FIFO, device or directory is refused before any read, since it could
// block forever or never end; so is a larger file. Throws not_found /
// permission errors, and usage errors for a file that is not fit.
std::string read_file(const stdfs::path& path, uint64_t max_bytes = k_max_small_file);

// Writes data to a temporary file beside `path`, fsyncs it and renames it
// over `path`, so readers see the old or the new content, never a mix.
void write_file_atomic(const stdfs::path& path, std::string_view data, stdfs::perms mode);

// Creates the directory (and parents) if missing and sets its mode.
void ensure_dir(const stdfs::path& dir, stdfs::perms mode = stdfs::perms::owner_all);

// Bytes an unprivileged user may still write on the filesystem holding
// `path` (or its nearest existing parent); nullopt if that cannot be told.
std::optional<uint64_t> free_bytes(const stdfs::path& path);
// "12.3 MiB", for messages.
std::string format_bytes(uint64_t n);

// fsyncs a directory so a rename inside it survives a crash.
void sync_dir(const stdfs::path& dir);

// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(Fd&& o) noexcept : m_fd(o.release()) {}
    Fd& operator=(Fd&& o) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
    int get() const { return m_fd; }
    int release() { int f = m_fd; m_fd = -1; return f; }
    explicit operator bool() const { return m_fd >= 0; }

private:
    int m_fd = -1;
};

Fd open_read(const stdfs::path& path);
// Opens a file for reading after read_file's checks (a regular file of at
// most max_bytes, so nothing can block or never end); its size then goes to
// *size_out when given.
Fd open_regular(const stdfs::path& path, uint64_t max_bytes, uint64_t* size_out = nullptr);
// Creates a new file exclusively with the given mode (O_EXCL; never follows a symlink).
Fd create_exclusive(const stdfs::path& path, stdfs::perms mode);

// What identifies a file's content without reading it. Saves compare it
// before and after reading: any difference (a write, a truncation, a
// replacement) means the bytes read may mix two versions of the file.
struct FileIdentity {
    uint64_t dev = 0, ino = 0, size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    bool operator==(const FileIdentity&) const = default;
};
FileIdentity identity_of(int fd, const stdfs::path& what);

// Throws conflict error (exit 8) naming `path` unless the file still has the
// identity it had when reading started and `bytes_read` equals its size.
void require_unchanged(int fd, const FileIdentity& before, uint64_t bytes_read, const stdfs::path& path);
[[noreturn]] void throw_changed(const stdfs::path& path);

// Reads up to buf.size() bytes; returns 0 at end of file. Retries on EINTR.
size_t read_some(int fd, std::span<std::byte> buf, const stdfs::path& what);
// Reads exactly buf.size() bytes at offset or throws (integrity error on short read).
void pread_exact(int fd, std::span<std::byte> buf, uint64_t offset, const stdfs::path& what);
void write_all(int fd, std::span<const std::byte> data, const stdfs::path& what);
void fsync_fd(int fd, const stdfs::path& what);

// Starts the kernel's writeback of what was appended to `fd` every `step`
// bytes (sync_file_range, not waiting), so the disk writes while the CPU
// encrypts and the final fsync waits for the tail only, not the whole file.
class WriteBehind {
public:
    explicit WriteBehind(int fd, uint64_t step = 16u << 20) : m_fd(fd), m_step(step) {}
    void wrote(uint64_t n);

private:
    int m_fd;
    uint64_t m_step;
    uint64_t m_written = 0, m_started = 0;
};

// Whether commit() forces the data to disk first. Catalog-referenced files
// (cache, storage) are synced; plaintext the user asked for is not, as cp
// does not sync either.
enum class Sync { yes, no };

// A file in `dir` with a random name, removed on destruction unless
// commit() renamed it into place. Used so that no partial file is ever
// visible under its final name.
// A temporary file named PREFIX.tmp-RANDOM, removed unless committed. Its
// process holds an exclusive flock(2) on it for its whole life, so
// remove_dead_temps() can tell the temps of dead processes (a killed save)
// from those being written, whatever the pid namespace or host sharing the
// directory.
// The error for a failed system call on `path`: a full disk is storage
// (naming the free space), a missing path not_found, a refusal permission.
Error io_error(const std::string& action, const stdfs::path& path, int err);

class TempFile {
public:
    TempFile(const stdfs::path& dir, std::string_view prefix, stdfs::perms mode = stdfs::perms::owner_read | stdfs::perms::owner_write);
    TempFile(TempFile&&) = default;
    ~TempFile();
    int fd() const { return m_fd.get(); }
    const stdfs::path& path() const { return m_path; }
    // fsyncs, closes and renames to dest (atomic on one filesystem).
    void commit(const stdfs::path& dest, Sync sync = Sync::yes);
    void close() { m_fd = Fd(); }
    // True once commit() moved the file to its final name.
    bool committed() const { return m_committed; }

private:
    stdfs::path m_path;
    Fd m_fd;
    Fd m_lock; // keeps the flock after close()
    bool m_committed = false;
};

// Removes the temp files TempFile(dir, prefix) made whose process is gone
// (their lock is free). Never fails: a temp it cannot judge stays.
struct DeadTemps {
    int files = 0;
    uint64_t bytes = 0;
};
DeadTemps remove_dead_temps(const stdfs::path& dir, std::string_view prefix);

// True if `a` and `b` (both existing) are on one filesystem, so a rename
// between them moves the name instead of copying the data.
bool same_filesystem(const stdfs::path& a, const stdfs::path& b);

// Throws permission error if `path` is readable or writable by group/others.
void require_private_file(const stdfs::path& path, std::string_view what);

} // namespace cairn::fs
