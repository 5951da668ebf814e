#include "core/crypto/decrypt_pipeline.hpp"

#include "core/crypto/plaintext_buffers.hpp"
#include "core/crypto/sha256.hpp"
#include "core/crypto/tree_hash.hpp"
#include "core/util/channel.hpp"
#include "core/util/error.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cairn::crypto {

namespace {

// Eight blocks of about 1 MiB: each stage has blocks queued to work on
// while the others work, and the 8 MiB in flight stay in the cache the two
// cores share (blocks of 4 MiB measured slower: they fall out of it).
constexpr size_t k_block_target = 1u << 20;
constexpr size_t k_blocks = 8;
static_assert(k_block_target == k_tree_leaf_size, "a block of a tree-hash object is one leaf");

// A block of plaintext: which buffer, how many bytes of it are filled, and
// where it starts in the object's plaintext.
struct Block {
    size_t buffer = 0;
    size_t size = 0;
    uint64_t offset = 0;
};

// The first error of any stage; later ones are consequences of the abort.
class FirstError {
  public:
    void set(std::exception_ptr e) {
        std::lock_guard lock(m_mutex);
        if (!m_error) m_error = std::move(e);
    }
    void rethrow_if_set() {
        if (m_error) std::rethrow_exception(m_error);
    }

  private:
    std::mutex m_mutex;
    std::exception_ptr m_error;
};

// What the hash stage computes. hash() may be called from several threads
// at once when parallel() is true, with blocks in any order.
class BlockHash {
  public:
    virtual ~BlockHash() = default;
    virtual bool parallel() const = 0;
    virtual void hash(std::span<const std::byte> block, uint64_t offset) = 0;
    // After every block: the hash text, given the plaintext length.
    virtual std::string finish(uint64_t plaintext_size) = 0;
};

class PlainHash final : public BlockHash {
  public:
    bool parallel() const override { return false; }
    void hash(std::span<const std::byte> block, uint64_t) override { m_sha.update(block); }
    std::string finish(uint64_t) override { return m_sha.finish_hex(); }

  private:
    Sha256 m_sha;
};

// Hashes each leaf of the content on whichever worker takes its block,
// and folds the digests in leaf order as they complete (only the few
// blocks in flight can wait out of order).
class TreeHash final : public BlockHash {
  public:
    explicit TreeHash(uint64_t content_size) : m_content(content_size) {}
    bool parallel() const override { return true; }

    void hash(std::span<const std::byte> block, uint64_t offset) override {
        if (offset >= m_content) return; // the leaf table
        const uint64_t end = std::min<uint64_t>(offset + block.size(), m_content);
        for (uint64_t at = offset; at < end; at += k_tree_leaf_size) {
            const size_t n = static_cast<size_t>(std::min<uint64_t>(k_tree_leaf_size, end - at));
            add(at / k_tree_leaf_size, tree_leaf_hash(block.subspan(at - offset, n)));
        }
    }

    std::string finish(uint64_t plaintext_size) override {
        const uint64_t leaves = tree_leaf_count(m_content);
        if (plaintext_size != m_content + 32 * leaves)
            throw Error(ErrorKind::integrity, "encrypted object has the wrong length for its content and leaf table",
                        "the object in storage is damaged");
        if (m_content == 0) add(0, tree_leaf_hash({}));
        if (m_folder.count() != leaves) throw Error(ErrorKind::integrity, "encrypted object is missing leaves");
        return tree_hash_text(m_folder.root(), m_content);
    }

  private:
    void add(uint64_t index, const Digest& d) {
        std::lock_guard lock(m_mutex);
        m_waiting.emplace(index, d);
        while (!m_waiting.empty() && m_waiting.begin()->first == m_folder.count()) {
            m_folder.add(m_waiting.begin()->second);
            m_waiting.erase(m_waiting.begin());
        }
    }

    uint64_t m_content;
    std::mutex m_mutex;
    std::map<uint64_t, Digest> m_waiting;
    TreeFolder m_folder;
};

unsigned hash_threads(const BlockHash& h) {
    return h.parallel() ? std::clamp(std::thread::hardware_concurrency(), 1u, static_cast<unsigned>(k_blocks / 2)) : 1;
}

// Three stages: decrypt (read and AES-GCM, one thread), the caller's sink
// (the write, in order), and the hash (one thread or a pool). Writing comes
// before hashing: the caller's output is a temp file that only becomes the
// result once the hash matched, and a pooled hash need not keep order.
class Pipeline {
  public:
    Pipeline(const SecretKey& key, const std::string& uid, const std::filesystem::path& ciphertext,
             std::unique_ptr<BlockHash> hash, uint64_t sink_limit)
        : m_decryptor(key, uid, ciphertext),
          m_buffers(k_blocks, std::max<size_t>(1, k_block_target / m_decryptor.segment_size()) *
                                  m_decryptor.segment_size()),
          m_hash(std::move(hash)), m_sink_limit(sink_limit) {
        for (size_t i = 0; i < k_blocks; ++i)
            m_free.push(i);
    }
    // Also reached when starting a thread failed or the caller's stage threw.
    ~Pipeline() {
        abort_all();
        join_all();
    }
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    size_t segment_size() const { return m_decryptor.segment_size(); }

    std::string run(const ByteSink& sink) {
        m_threads.emplace_back([this] { stage([this] { decrypt_blocks(); }); });
        for (unsigned i = 0; i < hash_threads(*m_hash); ++i)
            m_threads.emplace_back([this] { stage([this] { hash_blocks(); }); });
        stage([&] { write_blocks(sink); });
        join_all();
        m_error.rethrow_if_set();
        return m_hash->finish(m_plaintext_size);
    }

  private:
    // Runs one stage; its failure stops every other stage.
    template <class F> void stage(F&& body) {
        try {
            body();
        } catch (...) {
            m_error.set(std::current_exception());
            abort_all();
        }
    }

    void decrypt_blocks() {
        while (!m_decryptor.done()) {
            const std::optional<size_t> buffer = m_free.pop();
            if (!buffer) return;
            size_t filled = 0;
            while (!m_decryptor.done() &&
                   m_buffers.room(*buffer, filled).size() >= m_decryptor.segment_size()) {
                // Marked before decrypting: a failed segment leaves bytes to wipe.
                m_buffers.used(*buffer, filled + m_decryptor.segment_size());
                filled += m_decryptor.next(m_buffers.room(*buffer, filled));
            }
            if (!m_decrypted.push({*buffer, filled, m_plaintext_size})) return;
            m_plaintext_size += filled;
        }
        m_decrypted.close();
    }

    void write_blocks(const ByteSink& sink) {
        while (const std::optional<Block> b = m_decrypted.pop()) {
            if (b->offset < m_sink_limit) {
                const size_t n = static_cast<size_t>(std::min<uint64_t>(b->size, m_sink_limit - b->offset));
                if (n > 0) sink(m_buffers.filled(b->buffer, n));
            }
            if (!m_written.push(*b)) return;
        }
        m_written.close();
    }

    void hash_blocks() {
        while (const std::optional<Block> b = m_written.pop()) {
            m_hash->hash(m_buffers.filled(b->buffer, b->size), b->offset);
            if (!m_free.push(b->buffer)) return;
        }
    }

    void abort_all() {
        m_free.abort();
        m_decrypted.abort();
        m_written.abort();
    }

    void join_all() {
        for (auto& t : m_threads)
            if (t.joinable()) t.join();
    }

    StreamDecryptor m_decryptor;
    PlaintextBuffers m_buffers; // reused block after block
    std::unique_ptr<BlockHash> m_hash;
    uint64_t m_sink_limit;
    uint64_t m_plaintext_size = 0; // written by the decrypt stage only
    Channel<size_t> m_free{k_blocks};
    Channel<Block> m_decrypted{k_blocks};
    Channel<Block> m_written{k_blocks};
    FirstError m_error;
    // Last: destroyed (after the destructor joined them) before what they use.
    std::vector<std::thread> m_threads;
};

} // namespace

std::string decrypt_file_hashed(const SecretKey& data_key, const std::string& expected_uid,
                                const std::filesystem::path& ciphertext, const ByteSink& sink) {
    Pipeline pipeline(data_key, expected_uid, ciphertext, std::make_unique<PlainHash>(), UINT64_MAX);
    return pipeline.run(sink);
}

std::string decrypt_file_tree_hashed(const SecretKey& data_key, const std::string& expected_uid,
                                     const std::filesystem::path& ciphertext, uint64_t content_size,
                                     const ByteSink& sink) {
    Pipeline pipeline(data_key, expected_uid, ciphertext, std::make_unique<TreeHash>(content_size), content_size);
    if (k_tree_leaf_size % pipeline.segment_size() != 0)
        throw Error(ErrorKind::integrity, "encrypted object's segment size does not divide the tree hash's leaf size",
                    "the object in storage is damaged");
    return pipeline.run(sink);
}

} // namespace cairn::crypto
