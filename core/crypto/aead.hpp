#pragma once
// One-shot AES-256-GCM and HKDF-SHA256 over OpenSSL EVP. These wrap small
// secrets (keys); the bulk content path is stream.hpp.
#include "core/crypto/secret.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace cairn::crypto {

constexpr size_t k_gcm_nonce_size = 12;
constexpr size_t k_gcm_tag_size = 16;

using GcmNonce = std::span<const std::byte, k_gcm_nonce_size>;

inline std::span<const std::byte> byte_view(std::string_view s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

// Encrypts `plaintext` under `key` with the given nonce and associated data.
// Returns ciphertext || 16-byte tag. The caller guarantees the nonce is
// never reused with the same key.
std::string gcm_seal(const SecretKey& key, GcmNonce nonce, std::span<const std::byte> aad,
                     std::span<const std::byte> plaintext);

// Authenticates and decrypts `sealed` (ciphertext || tag) into `out`, which
// must be exactly sealed.size() - 16 bytes. Returns false (and wipes `out`)
// when authentication fails; never throws for a wrong key or tampered input.
bool gcm_open(const SecretKey& key, GcmNonce nonce, std::span<const std::byte> aad,
              std::span<const std::byte> sealed, std::span<std::byte> out);

// HKDF-SHA256 (RFC 5869) producing one 256-bit key.
SecretKey hkdf_sha256(std::span<const std::byte> ikm, std::span<const std::byte> salt,
                      std::string_view info);

} // namespace cairn::crypto
