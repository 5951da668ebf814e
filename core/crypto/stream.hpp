#pragma once
// The encrypted object format (docs/FORMAT.md): a per-artifact data key,
// AES-256-GCM in the STREAM construction with an authenticated header.
//
// CONTRACT (implemented in stream.cpp, issue 3):
//  - Header: magic "CAIRNENC", format version, algorithm id, segment size,
//    artifact uid, key id, nonce prefix; authenticated as AAD of every segment.
//  - Segment i nonce = 7-byte random prefix || 4-byte big-endian i || 1-byte
//    last-segment flag. Each segment's plaintext is segment_size bytes except
//    the last (which may be empty); each carries a 16-byte GCM tag.
//  - Truncation, reordering, bit flips, a swapped header or a uid mismatch
//    throw cairn::Error(ErrorKind::integrity) before any unauthenticated byte
//    is handed to the sink.
#include "core/crypto/secret.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace cairn::crypto {

constexpr uint32_t k_default_segment_size = 1u << 20; // 1 MiB

struct StreamParams {
    std::string artifact_uid; // bound into the header: moving an object to another artifact fails
    std::string key_id;       // which key wrapped the data key (informational, authenticated)
    uint32_t segment_size = k_default_segment_size; // 64 KiB .. 1 MiB
};

using ByteSink = std::function<void(std::span<const std::byte>)>;

// Encrypts a plaintext stream. Memory use is O(segment_size).
class StreamEncryptor {
public:
    StreamEncryptor(const SecretKey& data_key, const StreamParams& params, ByteSink out);
    ~StreamEncryptor();
    StreamEncryptor(const StreamEncryptor&) = delete;
    StreamEncryptor& operator=(const StreamEncryptor&) = delete;
    void write(std::span<const std::byte> plaintext);
    // Seals the last segment. Must be called exactly once.
    void finish();
    uint64_t ciphertext_bytes() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Reads, authenticates and decrypts an encrypted object file one segment at
// a time into buffers the caller owns, so a pipeline can hand plaintext to
// other threads without copying it. Memory use is O(segment_size).
class StreamDecryptor {
public:
    // Opens `ciphertext` and parses its header: integrity error unless it is
    // a well-formed object of artifact `expected_uid`.
    StreamDecryptor(const SecretKey& data_key, const std::string& expected_uid,
                    const std::filesystem::path& ciphertext);
    ~StreamDecryptor();
    StreamDecryptor(const StreamDecryptor&) = delete;
    StreamDecryptor& operator=(const StreamDecryptor&) = delete;

    // The most plaintext one segment holds: the room next() needs.
    size_t segment_size() const;
    // Decrypts the next segment into the start of `out` (at least
    // segment_size() bytes) and returns its plaintext length (the final
    // segment may be empty). Throws integrity error for a segment that fails
    // authentication or a missing final segment, after wiping what it wrote
    // to `out`. Must not be called once done().
    size_t next(std::span<std::byte> out);
    // True once the final segment was authenticated.
    bool done() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Decrypts and authenticates a whole ciphertext file, streaming plaintext to
// `out` segment by segment. `expected_uid` must match the header.
void decrypt_file(const SecretKey& data_key, const std::string& expected_uid,
                  const std::filesystem::path& ciphertext, const ByteSink& out);

// Reads plaintext [offset, offset+length) by decrypting only the segments
// that cover it. `read_ciphertext(off, len)` fetches raw ciphertext bytes.
std::string decrypt_range(const SecretKey& data_key, const std::string& expected_uid,
                          uint64_t ciphertext_size,
                          const std::function<std::string(uint64_t, uint64_t)>& read_ciphertext,
                          uint64_t offset, uint64_t length);

// Ciphertext size for a plaintext of `plaintext_size` bytes (used to verify
// uploads and to size range requests).
uint64_t ciphertext_size_for(uint64_t plaintext_size, const StreamParams& params);

} // namespace cairn::crypto
