#include "core/cache/cache.hpp"

#include "core/util/error.hpp"
#include "core/util/time.hpp"

#include <algorithm>
#include <cstdlib>
#include <sys/stat.h>
#include <utime.h>

namespace cairn::cache {

namespace stdfs = std::filesystem;

namespace {
constexpr const char* k_temp_prefix = ".incoming";
} // namespace

stdfs::path default_cache_root(const std::string& instance_id) {
    stdfs::path base;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) base = xdg;
    else if (const char* home = std::getenv("HOME"); home && *home) base = stdfs::path(home) / ".cache";
    else throw Error(ErrorKind::config, "neither XDG_CACHE_HOME nor HOME is set", "set XDG_CACHE_HOME");
    return base / "cairn" / instance_id;
}

Cache::Cache(stdfs::path root, uint64_t max_bytes) : m_root(std::move(root)), m_max_bytes(max_bytes) {
    fs::ensure_dir(m_root / "objects");
    fs::ensure_dir(work_dir());
}

stdfs::path Cache::path_of(const std::string& object_name) const {
    // Object names look like "objects/ab/<hex>"; keep the same layout.
    return m_root / object_name;
}

std::optional<stdfs::path> Cache::lookup(const std::string& object_name, uint64_t expected_size) {
    stdfs::path p = path_of(object_name);
    std::error_code ec;
    auto size = stdfs::file_size(p, ec);
    if (ec) return std::nullopt;
    if (size != expected_size) {
        // A wrong size can only be damage; never serve it.
        stdfs::remove(p, ec);
        return std::nullopt;
    }
    ::utime(p.c_str(), nullptr); // mark as recently used
    return p;
}

fs::TempFile Cache::new_temp() { return fs::TempFile(m_root / "objects", k_temp_prefix); }

stdfs::path Cache::insert(fs::TempFile& temp, const std::string& object_name) {
    stdfs::path dest = path_of(object_name);
    fs::ensure_dir(dest.parent_path());
    // No fsync: the cache is disposable, and a torn entry fails
    // authentication on read and is fetched again.
    temp.commit(dest, fs::Sync::no);
    return dest;
}

void Cache::remove(const std::string& object_name) {
    std::error_code ec;
    stdfs::remove(path_of(object_name), ec);
}

uint64_t Cache::size_bytes() const {
    uint64_t total = 0;
    std::error_code ec;
    for (auto it = stdfs::recursive_directory_iterator(m_root / "objects", ec);
         !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec)) total += it->file_size(ec);
    return total;
}

uint64_t Cache::evict() {
    struct Entry {
        stdfs::path path;
        uint64_t size;
        int64_t used;
    };
    std::vector<Entry> entries;
    uint64_t total = 0;
    std::error_code ec;
    // One stat per entry: this walk runs after every insert.
    for (auto it = stdfs::recursive_directory_iterator(m_root / "objects", ec);
         !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename().string().rfind(k_temp_prefix, 0) == 0) continue;
        struct stat st {};
        if (::stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        const auto size = static_cast<uint64_t>(st.st_size);
        entries.push_back({it->path(), size, int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000});
        total += size;
    }
    if (total <= m_max_bytes) return 0;
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
    uint64_t removed = 0;
    for (const auto& e : entries) {
        if (total - removed <= m_max_bytes) break;
        if (stdfs::remove(e.path, ec)) removed += e.size;
    }
    return removed;
}

void Cache::remove_dead_temps() { cache::remove_dead_temps(m_root); }

fs::DeadTemps remove_dead_temps(const stdfs::path& root) {
    // new_temp() creates temps at the top of objects/ only: no need to walk
    // the entries below it.
    return fs::remove_dead_temps(root / "objects", k_temp_prefix);
}

} // namespace cairn::cache
