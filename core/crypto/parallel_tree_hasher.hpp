#pragma once
// The tree hash of a stream, its leaves hashed on a small pool of threads
// (issue 17): a save's content is read into leaf-sized buffers, and each
// full buffer is hashed by the next free worker while the caller encrypts
// and reads on. One more thread sees every leaf in order: it computes the
// plain SHA-256 (sequential by nature) when asked for, and runs the
// caller's ordered sink (a save encrypts and writes there), so the caller's
// own thread only reads.
#include "core/crypto/digest_table.hpp"
#include "core/crypto/tree_hash.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cairn::crypto {

enum class PlainSha256 { no, yes };

struct TreeHashResult {
    std::string tree_hash;             // "tree1:..."
    std::optional<std::string> sha256; // plain SHA-256 hex, when asked for
    uint64_t size = 0;
    std::unique_ptr<DigestTable> leaves; // the leaf digests
};

class ParallelTreeHasher {
public:
    using OrderedSink = std::function<void(std::span<const std::byte>)>;
    // `workers` 0 = one per core, at most 8. `ordered` (optional) receives
    // every byte in order, on the ordered thread, before its buffer is
    // reused; its exceptions come back from room(), update() or finish().
    // Leaf digests beyond 64 GiB of content go to a temp file in `spill_dir`.
    explicit ParallelTreeHasher(PlainSha256 plain, OrderedSink ordered = {}, unsigned workers = 0,
                                std::filesystem::path spill_dir = {});
    ~ParallelTreeHasher();
    ParallelTreeHasher(const ParallelTreeHasher&) = delete;
    ParallelTreeHasher& operator=(const ParallelTreeHasher&) = delete;

    // The free rest of the current leaf buffer (never empty); blocks while
    // every buffer is being hashed. Write into it, then call filled().
    std::span<std::byte> room();
    // The first `n` bytes of room() now hold content; once the leaf is full
    // it goes to the workers and must no longer be touched.
    void filled(size_t n);
    // Copies `data` in (for producers that own their buffers).
    void update(std::span<const std::byte> data);
    // Hashes the last leaf, waits for the workers; rethrows their error.
    TreeHashResult finish();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace cairn::crypto
