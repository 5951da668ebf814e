#pragma once
// The leaf digests of a save, kept until the leaf table is written after
// the content (docs/FORMAT.md section 4). 32 bytes per MiB of content: in
// memory up to 64 GiB of content (2 MiB), beyond that in an unlinked 0600
// temp file, so a save's memory stays bounded whatever the file's size.
#include "core/crypto/tree_hash.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <vector>

namespace cairn::crypto {

class DigestTable {
public:
    // `spill_dir`: where the temp file goes once memory is full; empty =
    // always in memory (tests).
    explicit DigestTable(std::filesystem::path spill_dir = {});
    ~DigestTable();
    DigestTable(const DigestTable&) = delete;
    DigestTable& operator=(const DigestTable&) = delete;

    // Stores the digest of leaf `index`; any order, one caller at a time.
    void set(uint64_t index, const Digest& d);
    // Leaves 0 .. size()-1 (every one of them must have been set).
    uint64_t size() const { return m_size; }
    // Calls `f` with the digests in leaf order, in runs of bounded length.
    void for_each(const std::function<void(std::span<const Digest>)>& f) const;

    static constexpr uint64_t k_in_memory = 65536;

private:
    std::filesystem::path m_spill_dir;
    std::vector<Digest> m_memory;
    int m_fd = -1;
    uint64_t m_size = 0;
};

} // namespace cairn::crypto
