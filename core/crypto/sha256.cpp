#include "core/crypto/sha256.hpp"

#include "core/util/error.hpp"
#include "core/util/hex.hpp"

#include <openssl/evp.h>

namespace cairn::crypto {

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
    if (!m_ctx || EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr) != 1)
        throw Error(ErrorKind::internal, "cannot initialise SHA-256");
}

Sha256::~Sha256() { EVP_MD_CTX_free(m_ctx); }

void Sha256::update(std::span<const std::byte> data) {
    if (EVP_DigestUpdate(m_ctx, data.data(), data.size()) != 1)
        throw Error(ErrorKind::internal, "SHA-256 update failed");
}

std::array<std::byte, 32> Sha256::finish() {
    std::array<std::byte, 32> out{};
    unsigned len = 0;
    if (EVP_DigestFinal_ex(m_ctx, reinterpret_cast<unsigned char*>(out.data()), &len) != 1)
        throw Error(ErrorKind::internal, "SHA-256 final failed");
    return out;
}

std::string Sha256::finish_hex() { return to_hex(finish()); }

std::string sha256_hex(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.finish_hex();
}

} // namespace cairn::crypto
