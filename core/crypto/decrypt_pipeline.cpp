#include "core/crypto/decrypt_pipeline.hpp"

#include "core/crypto/sha256.hpp"
#include "core/util/channel.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace cairn::crypto {

namespace {

// Eight blocks of about 1 MiB: each stage has blocks queued to work on
// while the others work, and the 8 MiB in flight stay in the cache the two
// cores share (blocks of 4 MiB measured slower: they fall out of it).
constexpr size_t k_block_target = 1u << 20;
constexpr size_t k_blocks = 8;

// A block of plaintext: which buffer, and how many bytes of it are filled.
struct Block {
    size_t buffer = 0;
    size_t size = 0;
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

// Plaintext buffers, reused block after block, wiped when the pipeline ends
// however it ends. Not zeroed at allocation: only the bytes written are
// touched (and wiped), so a small object costs no 8 MiB of page faults.
class PlaintextBuffers {
  public:
    explicit PlaintextBuffers(size_t bytes_each) : m_bytes_each(bytes_each) {
        for (auto& b : m_buffers)
            b = std::make_unique_for_overwrite<std::byte[]>(bytes_each);
    }
    ~PlaintextBuffers() {
        for (size_t i = 0; i < k_blocks; ++i)
            OPENSSL_cleanse(m_buffers[i].get(), m_used[i]);
    }
    PlaintextBuffers(const PlaintextBuffers&) = delete;
    PlaintextBuffers& operator=(const PlaintextBuffers&) = delete;

    std::span<std::byte> room(size_t buffer, size_t from) {
        return {m_buffers[buffer].get() + from, m_bytes_each - from};
    }
    // Records that bytes [0, end) of `buffer` may hold plaintext.
    void used(size_t buffer, size_t end) { m_used[buffer] = std::max(m_used[buffer], end); }
    std::span<const std::byte> block(const Block& b) const {
        return {m_buffers[b.buffer].get(), b.size};
    }

  private:
    size_t m_bytes_each;
    std::array<std::unique_ptr<std::byte[]>, k_blocks> m_buffers;
    std::array<size_t, k_blocks> m_used{};
};

// Three stages, one thread each: decrypt (read and AES-GCM), hash
// (SHA-256), and the caller's sink (the write). Their costs are similar (on
// the 2-core development machine about 0.4 s each per 512 MiB into tmpfs),
// so the scheduler can keep two cores busy; with hashing alone on a second
// thread, the caller's thread did twice the hasher's work and set the pace.
class Pipeline {
  public:
    Pipeline(const SecretKey& key, const std::string& uid, const std::filesystem::path& ciphertext)
        : m_decryptor(key, uid, ciphertext),
          m_buffers(std::max<size_t>(1, k_block_target / m_decryptor.segment_size()) *
                    m_decryptor.segment_size()) {
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

    std::string run(const ByteSink& sink) {
        m_decrypting = std::thread([this] { stage([this] { decrypt_blocks(); }); });
        m_hashing = std::thread([this] { stage([this] { hash_blocks(); }); });
        stage([&] { write_blocks(sink); });
        join_all();
        m_error.rethrow_if_set();
        return m_hash.finish_hex();
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
            if (!m_decrypted.push({*buffer, filled})) return;
        }
        m_decrypted.close();
    }

    void hash_blocks() {
        while (const std::optional<Block> b = m_decrypted.pop()) {
            m_hash.update(m_buffers.block(*b));
            if (!m_hashed.push(*b)) return;
        }
        m_hashed.close();
    }

    void write_blocks(const ByteSink& sink) {
        while (const std::optional<Block> b = m_hashed.pop()) {
            if (b->size > 0) sink(m_buffers.block(*b));
            if (!m_free.push(b->buffer)) return;
        }
    }

    void abort_all() {
        m_free.abort();
        m_decrypted.abort();
        m_hashed.abort();
    }

    void join_all() {
        if (m_decrypting.joinable()) m_decrypting.join();
        if (m_hashing.joinable()) m_hashing.join();
    }

    StreamDecryptor m_decryptor;
    PlaintextBuffers m_buffers;
    Sha256 m_hash;
    Channel<size_t> m_free{k_blocks};
    Channel<Block> m_decrypted{k_blocks};
    Channel<Block> m_hashed{k_blocks};
    FirstError m_error;
    // Last: destroyed (after the destructor joined them) before what they use.
    std::thread m_decrypting, m_hashing;
};

} // namespace

std::string decrypt_file_hashed(const SecretKey& data_key, const std::string& expected_uid,
                                const std::filesystem::path& ciphertext, const ByteSink& sink) {
    Pipeline pipeline(data_key, expected_uid, ciphertext);
    return pipeline.run(sink);
}

} // namespace cairn::crypto
