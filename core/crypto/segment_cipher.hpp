#pragma once
// One AES-256-GCM context for the segments of one encrypted object
// (docs/FORMAT.md, "Encrypted objects"). Internal to core/crypto.
#include "core/crypto/secret.hpp"
#include "core/crypto/stream_header.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

struct evp_cipher_ctx_st;

namespace cairn::crypto::detail {

constexpr size_t k_tag_size = 16;

// Keyed once; each segment only changes the IV (prefix || index || last).
class SegmentCipher {
  public:
    // enc: 1 encrypts, 0 decrypts.
    SegmentCipher(const SecretKey& key, const Header& h, int enc);
    ~SegmentCipher();
    SegmentCipher(const SegmentCipher&) = delete;
    SegmentCipher& operator=(const SegmentCipher&) = delete;

    // Encrypts `n` bytes of `in` to `out` (may be the same memory), then
    // appends the tag at out + n.
    void seal(uint64_t index, bool last, const std::byte* in, size_t n, std::byte* out);

    // Decrypts `n` bytes of ciphertext at `in` (its tag at in + n) to `out`
    // (the same memory, or memory that does not overlap it). False if not
    // authentic: `out` then holds unauthenticated bytes the caller must
    // neither use nor keep.
    bool open(uint64_t index, bool last, const std::byte* in, size_t n, std::byte* out);

  private:
    bool start(uint64_t index, bool last);

    evp_cipher_ctx_st* m_ctx;
    std::vector<std::byte> m_aad;
    std::array<unsigned char, 12> m_iv{};
    int m_enc;
};

Error auth_failure(const std::string& what, uint64_t index);

// Reads until `buf` is full or end of file; returns the bytes read.
size_t read_full(int fd, std::span<std::byte> buf, const std::filesystem::path& path);

} // namespace cairn::crypto::detail
