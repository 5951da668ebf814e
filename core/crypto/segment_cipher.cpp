#include "core/crypto/segment_cipher.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <openssl/evp.h>

#include <cstring>

namespace cairn::crypto::detail {

namespace {

constexpr uint64_t k_max_segments = uint64_t{1} << 32;

const unsigned char* uc(const std::byte* p) {
    return reinterpret_cast<const unsigned char*>(p);
}
unsigned char* uc(std::byte* p) {
    return reinterpret_cast<unsigned char*>(p);
}

} // namespace

SegmentCipher::SegmentCipher(const SecretKey& key, const Header& h, int enc)
    : m_ctx(EVP_CIPHER_CTX_new()), m_aad(h.bytes), m_enc(enc) {
    if (!m_ctx ||
        EVP_CipherInit_ex(m_ctx, EVP_aes_256_gcm(), nullptr, key.data(), nullptr, enc) != 1) {
        EVP_CIPHER_CTX_free(m_ctx);
        throw Error(ErrorKind::internal, "cannot initialise AES-256-GCM");
    }
    std::memcpy(m_iv.data(), h.prefix.data(), k_prefix_size);
}

// EVP_CIPHER_CTX_free wipes the expanded key schedule.
SegmentCipher::~SegmentCipher() {
    EVP_CIPHER_CTX_free(m_ctx);
}

void SegmentCipher::seal(uint64_t index, bool last, const std::byte* in, size_t n, std::byte* out) {
    int outl = 0, finl = 0;
    if (!start(index, last) ||
        EVP_EncryptUpdate(m_ctx, uc(out), &outl, uc(in), static_cast<int>(n)) != 1 ||
        EVP_EncryptFinal_ex(m_ctx, uc(out) + outl, &finl) != 1 ||
        EVP_CIPHER_CTX_ctrl(m_ctx, EVP_CTRL_GCM_GET_TAG, k_tag_size, uc(out) + n) != 1)
        throw Error(ErrorKind::internal, "AES-256-GCM encryption failed");
}

bool SegmentCipher::open(uint64_t index, bool last, const std::byte* in, size_t n, std::byte* out) {
    // SET_TAG takes a non-const pointer but only copies the tag.
    unsigned char tag[k_tag_size];
    std::memcpy(tag, in + n, k_tag_size);
    int outl = 0, finl = 0;
    return start(index, last) &&
           EVP_DecryptUpdate(m_ctx, uc(out), &outl, uc(in), static_cast<int>(n)) == 1 &&
           EVP_CIPHER_CTX_ctrl(m_ctx, EVP_CTRL_GCM_SET_TAG, k_tag_size, tag) == 1 &&
           EVP_DecryptFinal_ex(m_ctx, uc(out) + outl, &finl) == 1;
}

bool SegmentCipher::start(uint64_t index, bool last) {
    if (index >= k_max_segments)
        throw Error(ErrorKind::usage, "object too large for one encrypted stream");
    for (int i = 0; i < 4; ++i)
        m_iv[k_prefix_size + static_cast<size_t>(i)] =
            static_cast<unsigned char>(index >> (24 - 8 * i));
    m_iv[11] = last ? 1 : 0;
    int outl = 0;
    return EVP_CipherInit_ex(m_ctx, nullptr, nullptr, nullptr, m_iv.data(), m_enc) == 1 &&
           EVP_CipherUpdate(m_ctx, nullptr, &outl, uc(m_aad.data()),
                            static_cast<int>(m_aad.size())) == 1;
}

Error auth_failure(const std::string& what, uint64_t index) {
    return integrity(what, "segment " + std::to_string(index) +
                               " failed authentication (wrong key, or the object was modified, "
                               "truncated or reordered)");
}

size_t read_full(int fd, std::span<std::byte> buf, const std::filesystem::path& path) {
    size_t done = 0;
    while (done < buf.size()) {
        size_t n = fs::read_some(fd, buf.subspan(done), path);
        if (n == 0) break;
        done += n;
    }
    return done;
}

} // namespace cairn::crypto::detail
