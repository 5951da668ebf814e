#include "core/artifact/folder.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <vector>

namespace cairn::artifact {

namespace stdfs = std::filesystem;

namespace {

constexpr char k_magic[8] = {'C', 'A', 'I', 'R', 'N', 'D', 'I', 'R'};
constexpr size_t k_max_path = 4096;

void put_be(std::vector<std::byte>& out, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
}

uint64_t get_be(const std::byte* p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint64_t>(p[i]);
    return v;
}

struct Member {
    std::string rel; // generic '/' path
    stdfs::path abs;
    uint32_t mode;
    uint64_t size;
};

// Device and inode of each existing excluded path.
using FileIds = std::set<std::pair<uint64_t, uint64_t>>;

FileIds ids_of(const std::vector<stdfs::path>& paths) {
    FileIds ids;
    for (const auto& p : paths) {
        struct stat st {};
        if (!p.empty() && ::stat(p.c_str(), &st) == 0) ids.emplace(st.st_dev, st.st_ino);
    }
    return ids;
}

bool is_excluded(const FileIds& excluded, const stdfs::path& p) {
    struct stat st {};
    return !excluded.empty() && ::lstat(p.c_str(), &st) == 0 && excluded.count({st.st_dev, st.st_ino}) > 0;
}

std::vector<Member> list_members(const stdfs::path& dir, const FileIds& excluded, std::vector<std::string>& skipped) {
    std::vector<Member> members;
    std::error_code ec;
    auto it = stdfs::recursive_directory_iterator(dir, stdfs::directory_options::none, ec);
    if (ec) throw Error(ErrorKind::permission, "cannot read folder " + dir.string() + ": " + ec.message());
    for (; it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) throw Error(ErrorKind::permission, "cannot read folder " + dir.string() + ": " + ec.message());
        const auto status = it->symlink_status();
        // lexically: relative() would resolve a symbolic link and name its target.
        std::string rel = it->path().lexically_relative(dir).generic_string();
        if (is_excluded(excluded, it->path())) {
            if (stdfs::is_directory(status)) it.disable_recursion_pending();
            skipped.push_back(rel);
            continue;
        }
        if (stdfs::is_directory(status)) continue;
        if (stdfs::is_symlink(status))
            throw Error(ErrorKind::usage, "folder contains a symbolic link: " + rel,
                        "cairn saves regular files only; replace or remove the link");
        if (!stdfs::is_regular_file(status))
            throw Error(ErrorKind::usage, "folder contains a special file: " + rel, "remove it or save the files individually");
        if (rel.size() > k_max_path) throw Error(ErrorKind::usage, "path too long in folder: " + rel.substr(0, 80) + "...");
        members.push_back({rel, it->path(), static_cast<uint32_t>(status.permissions()) & 0777u,
                           static_cast<uint64_t>(it->file_size())});
    }
    std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.rel < b.rel; });
    return members;
}

} // namespace

void validate_member_path(const std::string& path) {
    auto bad = [&](const char* why) {
        throw Error(ErrorKind::integrity, std::string("folder stream has an unsafe path (") + why + ")");
    };
    if (path.empty() || path.size() > k_max_path) bad("empty or too long");
    if (path.front() == '/') bad("absolute");
    if (path.find('\0') != std::string::npos) bad("NUL byte");
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        const std::string part = path.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") bad("empty, '.' or '..' component");
        start = end + 1;
    }
}

FolderStats pack_folder(const stdfs::path& dir, const Sink& sink, const std::vector<stdfs::path>& excluded) {
    FolderStats stats;
    const auto members = list_members(dir, ids_of(excluded), stats.skipped);
    std::sort(stats.skipped.begin(), stats.skipped.end());
    std::vector<std::byte> header;
    for (char c : k_magic) header.push_back(static_cast<std::byte>(c));
    put_be(header, 1, 4);
    put_be(header, members.size(), 8);
    sink(header);
    std::vector<std::byte> buf(1 << 20);
    for (const auto& m : members) {
        header.clear();
        put_be(header, m.rel.size(), 2);
        for (char c : m.rel) header.push_back(static_cast<std::byte>(c));
        put_be(header, m.mode, 4);
        put_be(header, m.size, 8);
        sink(header);
        fs::Fd fd = fs::open_read(m.abs);
        const fs::FileIdentity before = fs::identity_of(fd.get(), m.abs);
        // The header already promised m.size bytes: a file that changed
        // since the listing, or while it is read, would be saved torn.
        if (before.size != m.size) fs::throw_changed(m.abs);
        uint64_t done = 0;
        while (size_t n = fs::read_some(fd.get(), buf, m.abs)) {
            done += n;
            if (done > m.size) break;
            sink(std::span(buf.data(), n));
        }
        fs::require_unchanged(fd.get(), before, done, m.abs);
        ++stats.n_files;
        stats.total_bytes += m.size;
    }
    return stats;
}

struct FolderUnpacker::State {
    stdfs::path dest;
    enum class Phase { magic, entry_header, path, entry_meta, content, done } phase = Phase::magic;
    std::vector<std::byte> pending; // bytes of the current fixed-size field
    size_t need = 8 + 4 + 8;
    uint64_t files_left = 0;
    std::string path;
    uint32_t mode = 0;
    uint64_t content_left = 0;
    fs::Fd out;
    FolderStats stats;

    void start_file() {
        validate_member_path(path);
        stdfs::path target = dest / path;
        fs::ensure_dir(target.parent_path());
        // Plaintext is private: 0600, or 0700 when the file was executable.
        auto perms = (mode & 0100) ? stdfs::perms::owner_all : (stdfs::perms::owner_read | stdfs::perms::owner_write);
        try {
            out = fs::create_exclusive(target, perms);
        } catch (const Error&) {
            throw Error(ErrorKind::integrity, "folder stream repeats or collides on path " + path);
        }
    }
};

FolderUnpacker::FolderUnpacker(stdfs::path dest) : m_state(std::make_unique<State>()) { m_state->dest = std::move(dest); }
FolderUnpacker::~FolderUnpacker() = default;

void FolderUnpacker::feed(std::span<const std::byte> data) {
    State& s = *m_state;
    using Phase = State::Phase;
    while (!data.empty()) {
        if (s.phase == Phase::done) throw Error(ErrorKind::integrity, "folder stream has trailing bytes");
        if (s.phase == Phase::content) {
            size_t n = static_cast<size_t>(std::min<uint64_t>(s.content_left, data.size()));
            fs::write_all(s.out.get(), data.first(n), s.dest / s.path);
            s.content_left -= n;
            data = data.subspan(n);
            if (s.content_left == 0) {
                s.out = fs::Fd();
                s.phase = --s.files_left ? Phase::entry_header : Phase::done;
                s.need = 2;
            }
            continue;
        }
        size_t n = std::min(s.need - s.pending.size(), data.size());
        s.pending.insert(s.pending.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
        data = data.subspan(n);
        if (s.pending.size() < s.need) continue;
        const std::byte* p = s.pending.data();
        switch (s.phase) {
        case Phase::magic:
            if (std::memcmp(p, k_magic, 8) != 0 || get_be(p + 8, 4) != 1)
                throw Error(ErrorKind::integrity, "not a cairn folder stream (or unsupported version)");
            s.files_left = get_be(p + 12, 8);
            s.phase = s.files_left ? Phase::entry_header : Phase::done;
            s.need = 2;
            break;
        case Phase::entry_header:
            s.need = static_cast<size_t>(get_be(p, 2));
            if (s.need == 0) throw Error(ErrorKind::integrity, "folder stream has an empty path");
            s.phase = Phase::path;
            break;
        case Phase::path:
            s.path.assign(reinterpret_cast<const char*>(p), s.need);
            s.phase = Phase::entry_meta;
            s.need = 12;
            break;
        case Phase::entry_meta:
            s.mode = static_cast<uint32_t>(get_be(p, 4));
            s.content_left = get_be(p + 4, 8);
            s.start_file();
            ++s.stats.n_files;
            s.stats.total_bytes += s.content_left;
            if (s.content_left == 0) {
                s.out = fs::Fd();
                s.phase = --s.files_left ? Phase::entry_header : Phase::done;
                s.need = 2;
            } else {
                s.phase = Phase::content;
            }
            break;
        case Phase::content:
        case Phase::done:
            break;
        }
        s.pending.clear();
    }
}

FolderStats FolderUnpacker::finish() {
    if (m_state->phase != State::Phase::done) throw Error(ErrorKind::integrity, "folder stream ended early");
    return m_state->stats;
}

} // namespace cairn::artifact
