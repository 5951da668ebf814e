#include "core/util/fs.hpp"

#include "core/util/error.hpp"
#include "core/util/random.hpp"

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <vector>

namespace cairn::fs {

namespace {

// "12.3 MiB": sizes and free space for people, not scripts.
std::string human_bytes(uint64_t n) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

// A full disk (or quota) is a storage failure (exit 5) that says where and
// how much room is left, so the user knows what to free.
Error no_space(const std::string& action, const stdfs::path& path, int err) {
    const std::optional<uint64_t> free = free_bytes(path);
    return Error(ErrorKind::storage,
                 "cannot " + action + " " + path.string() + ": " + std::strerror(err) + " (" +
                     (free ? human_bytes(*free) + " free there" : std::string("free space unknown")) + ")",
                 "free space on that filesystem, or move the cache (XDG_CACHE_HOME) or the storage elsewhere");
}

} // namespace

Error io_error(const std::string& action, const stdfs::path& path, int err) {
    if (err == ENOSPC || err == EDQUOT) return no_space(action, path, err);
    ErrorKind kind = ErrorKind::internal;
    if (err == ENOENT || err == ENOTDIR) kind = ErrorKind::not_found;
    if (err == EACCES || err == EPERM || err == EROFS) kind = ErrorKind::permission;
    return Error(kind, "cannot " + action + " " + path.string() + ": " + std::strerror(err));
}

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = o.release();
    }
    return *this;
}

Fd::~Fd() {
    if (m_fd >= 0) ::close(m_fd);
}

Fd open_read(const stdfs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw io_error("open", path, errno);
    return Fd(fd);
}

FileIdentity identity_of(int fd, const stdfs::path& what) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw io_error("stat", what, errno);
    auto ns = [](const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
    return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
            ns(st.st_mtim), ns(st.st_ctim)};
}

void require_unchanged(int fd, const FileIdentity& before, uint64_t bytes_read, const stdfs::path& path) {
    if (identity_of(fd, path) != before || bytes_read != before.size) throw_changed(path);
}

void throw_changed(const stdfs::path& path) {
    throw Error(ErrorKind::conflict, "file changed while saving: " + path.string(),
                "save again once nothing writes to it; nothing was saved");
}

Fd create_exclusive(const stdfs::path& path, stdfs::perms mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                    static_cast<mode_t>(mode));
    if (fd < 0) throw io_error("create", path, errno);
    // The umask may have removed bits; set exactly what was asked.
    ::fchmod(fd, static_cast<mode_t>(mode));
    return Fd(fd);
}

size_t read_some(int fd, std::span<std::byte> buf, const stdfs::path& what) {
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n >= 0) return static_cast<size_t>(n);
        if (errno != EINTR) throw io_error("read", what, errno);
    }
}

void pread_exact(int fd, std::span<std::byte> buf, uint64_t offset, const stdfs::path& what) {
    size_t done = 0;
    while (done < buf.size()) {
        ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done,
                            static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw io_error("read", what, errno);
        if (n == 0)
            throw Error(ErrorKind::integrity, "unexpected end of file in " + what.string());
        done += static_cast<size_t>(n);
    }
}

void write_all(int fd, std::span<const std::byte> data, const stdfs::path& what) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw io_error("write", what, errno);
        done += static_cast<size_t>(n);
    }
}

void fsync_fd(int fd, const stdfs::path& what) {
    if (::fsync(fd) != 0) throw io_error("sync", what, errno);
}

void WriteBehind::wrote(uint64_t n) {
    m_written += n;
    if (m_written - m_started < m_step) return;
    // Advisory: a filesystem that does not support it loses nothing but speed.
    (void)::sync_file_range(m_fd, static_cast<off_t>(m_started), static_cast<off_t>(m_written - m_started),
                            SYNC_FILE_RANGE_WRITE);
    m_started = m_written;
}

namespace {

const char* file_type_name(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

Error too_large(const stdfs::path& path, uint64_t max_bytes) {
    return Error(ErrorKind::usage,
                 "cannot read " + path.string() + ": larger than " + std::to_string(max_bytes) +
                     " bytes, which is more than such a file ever holds",
                 "check that the path names the right file");
}

} // namespace

Fd open_regular(const stdfs::path& path, uint64_t max_bytes, uint64_t* size_out) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then
    // refuses it); it changes nothing for a regular file.
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd) throw io_error("open", path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw io_error("stat", path, errno);
    if (!S_ISREG(st.st_mode))
        throw Error(ErrorKind::usage,
                    "cannot read " + path.string() + ": it is " + file_type_name(st.st_mode) +
                        ", not a regular file",
                    "point cairn at a regular file");
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > max_bytes) throw too_large(path, max_bytes);
    if (size_out) *size_out = size;
    return fd;
}

std::string read_file(const stdfs::path& path, uint64_t max_bytes) {
    uint64_t size = 0;
    Fd fd = open_regular(path, max_bytes, &size);
    // One byte more than the size shows a file that grew since fstat.
    std::string out(static_cast<size_t>(size) + 1, '\0');
    size_t done = 0;
    while (done < out.size()) {
        const size_t n = read_some(fd.get(), std::as_writable_bytes(std::span(out.data() + done, out.size() - done)), path);
        if (n == 0) break;
        done += n;
    }
    if (done > size) {
        OPENSSL_cleanse(out.data(), out.size());
        throw Error(ErrorKind::conflict, "cannot read " + path.string() + ": it changed while it was read",
                    "run the command again");
    }
    out.resize(done);
    return out;
}

std::optional<uint64_t> free_bytes(const stdfs::path& path) {
    // The path itself may not exist yet (a temp being created): its nearest
    // existing parent is on the same filesystem.
    stdfs::path p = path;
    struct statvfs st {};
    while (::statvfs(p.c_str(), &st) != 0) {
        if (!p.has_parent_path() || p.parent_path() == p) return std::nullopt;
        p = p.parent_path();
    }
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

std::string format_bytes(uint64_t n) { return human_bytes(n); }

void sync_dir(const stdfs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return; // best effort: some filesystems refuse directory fds
    ::fsync(fd);
    ::close(fd);
}

void write_file_atomic(const stdfs::path& path, std::string_view data, stdfs::perms mode) {
    stdfs::path dir = path.parent_path().empty() ? stdfs::path(".") : path.parent_path();
    TempFile tmp(dir, "." + path.filename().string(), mode);
    write_all(tmp.fd(), std::as_bytes(std::span(data.data(), data.size())), tmp.path());
    tmp.commit(path);
}

void ensure_dir(const stdfs::path& dir, stdfs::perms mode) {
    // Every directory made here gets `mode` whatever the umask:
    // create_directories would give missing parents 0777 & ~umask, which is
    // world-writable under umask 000 (a cache or key folder others could
    // fill with links). Directories that already exist keep their mode.
    std::error_code ec;
    std::vector<stdfs::path> missing;
    for (stdfs::path p = dir; !p.empty() && !stdfs::exists(p, ec); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), static_cast<mode_t>(mode)) == 0) {
            if (::chmod(it->c_str(), static_cast<mode_t>(mode)) != 0) throw io_error("chmod", *it, errno);
        } else if (errno != EEXIST) {
            throw io_error("create directory", *it, errno);
        }
    }
    if (!stdfs::is_directory(dir, ec)) throw io_error("create directory", dir, ENOTDIR);
    stdfs::permissions(dir, mode, ec);
}

namespace {

// Takes the exclusive flock that marks a temp file as owned by a live
// process, then checks that `path` still names the locked file: a sweeper
// may have removed it between the create and the lock.
bool lock_own_temp(int fd, const stdfs::path& path) {
    while (::flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) return false;
    struct stat by_fd {}, by_name {};
    return ::fstat(fd, &by_fd) == 0 && ::lstat(path.c_str(), &by_name) == 0 && by_fd.st_ino == by_name.st_ino &&
           by_fd.st_dev == by_name.st_dev;
}

std::string temp_marker(std::string_view prefix) { return std::string(prefix) + ".tmp-"; }

} // namespace

TempFile::TempFile(const stdfs::path& dir, std::string_view prefix, stdfs::perms mode) {
    for (int attempt = 0; attempt < 8; ++attempt) {
        m_path = dir / (temp_marker(prefix) + random_hex(8));
        Fd fd(::open(m_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                     static_cast<mode_t>(mode)));
        if (!fd) {
            if (errno != EEXIST) throw io_error("create", m_path, errno);
            continue;
        }
        ::fchmod(fd.get(), static_cast<mode_t>(mode));
        if (!lock_own_temp(fd.get(), m_path)) continue; // swept before it was locked
        // The lock belongs to the open file, which this duplicate keeps open
        // after close(), so the file stays marked as in use until it is
        // committed or removed.
        m_lock = Fd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
        if (!m_lock) throw io_error("duplicate the descriptor of", m_path, errno);
        m_fd = std::move(fd);
        return;
    }
    throw Error(ErrorKind::internal, "cannot create a temporary file in " + dir.string());
}

TempFile::~TempFile() {
    if (!m_committed && !m_path.empty()) ::unlink(m_path.c_str());
}

DeadTemps remove_dead_temps(const stdfs::path& dir, std::string_view prefix) {
    DeadTemps out;
    const std::string marker = temp_marker(prefix);
    std::error_code ec;
    for (auto it = stdfs::directory_iterator(dir, ec); !ec && it != stdfs::directory_iterator(); it.increment(ec)) {
        const stdfs::path path = it->path();
        if (path.filename().string().rfind(marker, 0) != 0) continue;
        Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
        struct stat st {};
        if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        // Held: its writer is alive. Free: the writer died (a kill, a
        // crash, a power cut) or was a cairn from before temps were locked.
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
        struct stat now {};
        if (::lstat(path.c_str(), &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) continue;
        if (::unlink(path.c_str()) == 0) {
            ++out.files;
            out.bytes += static_cast<uint64_t>(st.st_size);
        }
    }
    return out;
}

void TempFile::commit(const stdfs::path& dest, Sync sync) {
    struct stat st {};
    if (::stat(dest.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        throw Error(ErrorKind::usage, dest.string() + " exists and is not a regular file; it is left alone",
                    "choose a regular file path, or write to stdout and redirect");
    // A closed temp file is reopened for the fsync: its data must be on
    // disk before its name is.
    if (sync == Sync::yes) fsync_fd(m_fd ? m_fd.get() : open_read(m_path).get(), m_path);
    m_fd = Fd();
    if (::rename(m_path.c_str(), dest.c_str()) != 0) throw io_error("rename into", dest, errno);
    m_committed = true;
    if (sync == Sync::yes) sync_dir(dest.parent_path().empty() ? stdfs::path(".") : dest.parent_path());
}

bool same_filesystem(const stdfs::path& a, const stdfs::path& b) {
    struct stat sa {}, sb {};
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev;
}

void require_private_file(const stdfs::path& path, std::string_view what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw io_error("read " + std::string(what), path, errno);
    if ((st.st_mode & 077) != 0)
        throw Error(ErrorKind::permission,
                    std::string(what) + " " + path.string() + " is accessible by other users",
                    "run: chmod 600 " + path.string());
    // Whoever can write the directory can replace the file with their own
    // key (a sticky directory such as /tmp lets only the owner do that).
    const stdfs::path dir = path.parent_path().empty() ? stdfs::path(".") : path.parent_path();
    if (::stat(dir.c_str(), &st) != 0) throw io_error("read the directory of " + std::string(what), dir, errno);
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)
        throw Error(ErrorKind::permission,
                    "directory " + dir.string() + " of " + std::string(what) + " " + path.string() +
                        " is writable by other users, who could replace the file",
                    "run: chmod go-w " + dir.string());
}

} // namespace cairn::fs
