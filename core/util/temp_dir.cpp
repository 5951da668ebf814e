#include "core/util/temp_dir.hpp"

#include "core/util/error.hpp"
#include "core/util/random.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::fs {

namespace {

std::string dir_marker(std::string_view prefix) { return std::string(prefix) + ".dir-"; }

Fd open_dir(const stdfs::path& path) {
    return Fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
}

uint64_t bytes_under(const stdfs::path& dir) {
    uint64_t bytes = 0;
    std::error_code ec;
    for (auto it = stdfs::recursive_directory_iterator(dir, ec); !ec && it != stdfs::recursive_directory_iterator();
         it.increment(ec))
        if (it->is_regular_file(ec)) bytes += it->file_size(ec);
    return bytes;
}

} // namespace

TempDir::TempDir(const stdfs::path& dir, std::string_view prefix) {
    for (int attempt = 0; attempt < 8; ++attempt) {
        m_path = dir / (dir_marker(prefix) + random_hex(8));
        if (::mkdir(m_path.c_str(), 0700) == 0) break;
        if (errno != EEXIST) throw io_error("create", m_path, errno);
        m_path.clear();
    }
    if (m_path.empty()) throw Error(ErrorKind::internal, "cannot find a free temporary name in " + dir.string());
    ::chmod(m_path.c_str(), 0700); // whatever the umask
    m_lock = open_dir(m_path);
    if (!m_lock || ::flock(m_lock.get(), LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        std::error_code ec;
        stdfs::remove_all(m_path, ec);
        throw io_error("lock", m_path, err);
    }
}

TempDir::~TempDir() {
    if (m_committed || m_path.empty()) return;
    std::error_code ec;
    stdfs::remove_all(m_path, ec);
}

void TempDir::commit(const stdfs::path& dest) {
    stdfs::rename(m_path, dest);
    m_committed = true;
    m_lock = Fd();
}

DeadTemps remove_dead_temp_dirs(const stdfs::path& dir, std::string_view prefix) {
    DeadTemps out;
    const std::string marker = dir_marker(prefix);
    std::error_code ec;
    for (auto it = stdfs::directory_iterator(dir, ec); !ec && it != stdfs::directory_iterator(); it.increment(ec)) {
        const stdfs::path path = it->path();
        if (path.filename().string().rfind(marker, 0) != 0) continue;
        Fd fd = open_dir(path);
        struct stat st {};
        if (!fd || ::fstat(fd.get(), &st) != 0) continue;
        // Held: its writer is alive. Free: the writer died.
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
        struct stat now {};
        if (::lstat(path.c_str(), &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) continue;
        const uint64_t bytes = bytes_under(path);
        std::error_code removed;
        stdfs::remove_all(path, removed);
        if (!removed) {
            ++out.files;
            out.bytes += bytes;
        }
    }
    return out;
}

} // namespace cairn::fs
