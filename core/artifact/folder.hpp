#pragma once
// A folder is saved as one artifact: a deterministic stream of its regular
// files (sorted by path), each preceded by a small header. The artifact hash
// is SHA-256 over this stream, so the same tree always hashes the same.
//
//   "CAIRNDIR" u32be(version=1) u64be(n_files)
//   per file: u16be(path_len) path(bytes, '/'-separated, relative)
//             u32be(mode) u64be(size) content(size bytes)
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cairn::artifact {

using Sink = std::function<void(std::span<const std::byte>)>;

struct FolderStats {
    uint64_t n_files = 0;
    uint64_t total_bytes = 0; // file contents only
    std::vector<std::string> skipped; // relative paths left out (see pack_folder)
};

// Lists the folder first (refusing symlinks, devices and unreadable entries
// with a clear error), then streams it to `sink` in bounded memory. Files and
// folders that are one of `excluded` (matched by device and inode, so any
// spelling of the path counts) are left out and listed in `skipped`: cairn
// passes its instance, caches and key files, which must never end up inside
// an artifact.
FolderStats pack_folder(const std::filesystem::path& dir, const Sink& sink,
                        const std::vector<std::filesystem::path>& excluded = {});

// Rebuilds a folder from the stream into `dest` (which must exist and be
// empty). Refuses hostile paths (absolute, "..", empty components, NUL).
class FolderUnpacker {
public:
    explicit FolderUnpacker(std::filesystem::path dest);
    ~FolderUnpacker();
    void feed(std::span<const std::byte> data);
    // Throws integrity error if the stream ended early or had extra bytes.
    FolderStats finish();

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// Validates one relative path from a folder stream; throws integrity error.
void validate_member_path(const std::string& path);

} // namespace cairn::artifact
