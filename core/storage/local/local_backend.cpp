#include "core/storage/local/local_backend.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <unordered_set>

namespace cairn::storage {

namespace {

namespace stdfs = std::filesystem;

Failure failure_from(const std::exception& e) {
    if (auto* err = dynamic_cast<const Error*>(&e); err && err->kind() == ErrorKind::not_found)
        return Failure{FailureKind::not_found, e.what()};
    if (auto* err = dynamic_cast<const Error*>(&e); err && err->kind() == ErrorKind::permission)
        return Failure{FailureKind::auth, e.what()};
    return Failure{FailureKind::error, e.what()};
}

// Copies src into the open descriptor dst using the kernel when possible.
void copy_fd(int src, int dst, const stdfs::path& what) {
    for (;;) {
        ssize_t n = ::copy_file_range(src, nullptr, dst, nullptr, 1 << 30, 0);
        if (n == 0) return;
        if (n > 0) continue;
        if (errno == EINTR) continue;
        if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) break;
        throw Error(ErrorKind::internal, "cannot copy " + what.string() + ": " + std::strerror(errno));
    }
    std::vector<std::byte> buf(1 << 20);
    while (size_t n = fs::read_some(src, buf, what)) fs::write_all(dst, std::span(buf.data(), n), what);
}

class LocalBackend final : public Backend {
public:
    explicit LocalBackend(stdfs::path root) : m_root(std::move(root)) {}

    std::string describe() const override { return m_root.string(); }

    // Removes a killed writer's temp files from `dir`, once per directory
    // per process: the sweep reads the whole directory, so sweeping at every
    // put made a bulk writer (catalog migrate's key objects, a million into
    // 256 directories) quadratic.
    void sweep_once(const stdfs::path& dir) {
        {
            std::lock_guard lock(m_swept_mutex);
            if (!m_swept.insert(dir.string()).second) return;
        }
        fs::remove_dead_temps(dir, ".put");
    }

    Status put(const std::string& name, const stdfs::path& source) override {
        try {
            stdfs::path dest = path_of(name);
            fs::ensure_dir(dest.parent_path());
            sweep_once(dest.parent_path());
            fs::Fd in = fs::open_read(source);
            fs::TempFile tmp(dest.parent_path(), ".put");
            copy_fd(in.get(), tmp.fd(), source);
            tmp.commit(dest);
            return {};
        } catch (const std::exception& e) {
            return unexpected(failure_from(e));
        }
    }

    Status put_temp(const std::string& name, fs::TempFile& temp) override {
        try {
            stdfs::path dest = path_of(name);
            fs::ensure_dir(dest.parent_path());
            if (!fs::same_filesystem(temp.path(), dest.parent_path())) return put(name, temp.path());
            temp.commit(dest); // fsync, rename, fsync the directory
            return {};
        } catch (const std::exception& e) {
            return unexpected(failure_from(e));
        }
    }

    // The content is written and fsynced under a temp name, made read-only,
    // then linked to `name`: link(2) fails with EEXIST when the name exists,
    // so the name is created exclusively (O_EXCL semantics) and is never
    // visible half-written.
    Result<Created> put_if_absent(const std::string& name, const stdfs::path& source, const PutOnceOptions&) override {
        try {
            const stdfs::path dest = path_of(name);
            fs::ensure_dir(dest.parent_path());
            fs::Fd in = fs::open_read(source);
            fs::TempFile tmp(dest.parent_path(), ".put", stdfs::perms::owner_read | stdfs::perms::group_read |
                                                             stdfs::perms::others_read | stdfs::perms::owner_write);
            copy_fd(in.get(), tmp.fd(), source);
            fs::fsync_fd(tmp.fd(), tmp.path());
            if (::fchmod(tmp.fd(), 0444) != 0)
                return fail(FailureKind::error, "cannot chmod " + tmp.path().string() + ": " + std::strerror(errno));
            if (::link(tmp.path().c_str(), dest.c_str()) != 0) {
                if (errno == EEXIST) return Created::no;
                return fail(FailureKind::error, "cannot create " + dest.string() + ": " + std::strerror(errno));
            }
            fs::sync_dir(dest.parent_path());
            return Created::yes; // the temp name goes with `tmp`
        } catch (const std::exception& e) {
            return unexpected(failure_from(e));
        }
    }

    std::optional<stdfs::path> local_path(const std::string& name) const override { return path_of(name); }

    Status get(const std::string& name, const stdfs::path& dest) override {
        try {
            fs::Fd in = fs::open_read(path_of(name));
            int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (out < 0) return fail(FailureKind::error, "cannot write " + dest.string() + ": " + std::strerror(errno));
            fs::Fd out_fd(out);
            copy_fd(in.get(), out, path_of(name));
            return {};
        } catch (const std::exception& e) {
            return unexpected(failure_from(e));
        }
    }

    Result<std::string> get_range(const std::string& name, uint64_t offset, uint64_t length) override {
        try {
            fs::Fd in = fs::open_read(path_of(name));
            std::string out(length, '\0');
            ssize_t n = ::pread(in.get(), out.data(), length, static_cast<off_t>(offset));
            if (n < 0) return fail(FailureKind::error, std::strerror(errno));
            out.resize(static_cast<size_t>(n));
            return out;
        } catch (const std::exception& e) {
            return unexpected(failure_from(e));
        }
    }

    Result<ObjectInfo> stat(const std::string& name) override {
        std::error_code ec;
        auto size = stdfs::file_size(path_of(name), ec);
        if (ec == std::errc::no_such_file_or_directory) return fail(FailureKind::not_found, "no object " + name);
        if (ec) return fail(FailureKind::error, "cannot stat " + name + ": " + ec.message());
        return ObjectInfo{name, size};
    }

    Result<std::vector<ObjectInfo>> list(const std::string& prefix) override {
        std::vector<ObjectInfo> out;
        std::error_code ec;
        if (!stdfs::exists(m_root, ec))
            return ec ? fail(FailureKind::error, "cannot read " + m_root.string() + ": " + ec.message())
                      : fail(FailureKind::not_found, "no directory " + m_root.string());
        // Only the folder the prefix names is walked (audit verify lists
        // audit/checkpoints/ beside millions of objects).
        const size_t slash = prefix.rfind('/');
        const stdfs::path start = slash == std::string::npos ? m_root : path_of(prefix.substr(0, slash));
        if (!stdfs::is_directory(start, ec)) {
            if (ec && ec != std::errc::no_such_file_or_directory)
                return fail(FailureKind::error, "cannot list " + start.string() + ": " + ec.message());
            return out; // nothing stored under that prefix yet
        }
        for (auto it = stdfs::recursive_directory_iterator(start, ec); !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
            if (!it->is_regular_file()) continue;
            std::string name = stdfs::relative(it->path(), m_root).generic_string();
            if (name.find("/.put.tmp-") != std::string::npos || name.rfind(".put.tmp-", 0) == 0) continue;
            if (name.rfind(prefix, 0) == 0) out.push_back({name, it->file_size()});
        }
        if (ec) return fail(FailureKind::error, "cannot list " + m_root.string() + ": " + ec.message());
        return out;
    }

    Result<std::vector<ObjectVersion>> list_versions(const std::string& prefix) override {
        auto objects = list(prefix);
        if (!objects) return unexpected(objects.error());
        std::vector<ObjectVersion> out;
        for (auto& o : *objects) out.push_back({o.name, "", false});
        return out;
    }

    Status remove(const std::string& name) override {
        if (::unlink(path_of(name).c_str()) != 0 && errno != ENOENT)
            return fail(FailureKind::error, "cannot remove " + name + ": " + std::strerror(errno));
        return {};
    }

    ProbeReport probe() override {
        ProbeReport report;
        const std::string name = ".cairn-probe";
        try {
            fs::ensure_dir(m_root);
            fs::TempFile src(m_root, ".probe-src");
            fs::write_all(src.fd(), std::as_bytes(std::span("probe", 5)), src.path());
            src.close();
            report.can_write = bool(put(name, src.path()));
            auto back = get_range(name, 0, 5);
            report.can_read = back && *back == "probe";
            report.can_list = bool(list(""));
            report.can_delete = bool(remove(name)) && !stat(name);
            report.write_once = probe_write_once(src.path());
        } catch (const std::exception& e) {
            report.notes.push_back(e.what());
        }
        return report;
    }

private:
    // A second put_if_absent of one name must leave the first.
    std::optional<bool> probe_write_once(const stdfs::path& src) {
        const std::string name = ".cairn-probe-once";
        remove(name);
        auto first = put_if_absent(name, src, {});
        auto second = put_if_absent(name, src, {});
        remove(name);
        if (!first || !second) return std::nullopt;
        return *first == Created::yes && *second == Created::no;
    }

    stdfs::path path_of(const std::string& name) const {
        // Names are cairn-generated; refuse anything that could escape the root.
        if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos)
            throw Error(ErrorKind::internal, "invalid object name '" + name + "'");
        return m_root / name;
    }

    stdfs::path m_root;
    std::mutex m_swept_mutex;
    std::unordered_set<std::string> m_swept; // directories swept of dead temps
};

} // namespace

std::unique_ptr<Backend> open_local_backend(const std::filesystem::path& root) {
    if (!root.is_absolute())
        throw Error(ErrorKind::config, "storage directory '" + root.string() + "' is not absolute");
    return std::make_unique<LocalBackend>(root);
}

} // namespace cairn::storage
