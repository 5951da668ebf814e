#pragma once
// X25519 sealing to a public key (ECIES in the style of age and HPKE base
// mode): an ephemeral X25519 key agreement, HKDF-SHA256 over the shared
// secret, and AES-256-GCM with an all-zero nonce (safe: every key is used
// once). Sealed layout: ephemeral public key (32) || ciphertext || tag (16).
#include "core/crypto/secret.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace cairn::crypto {

constexpr size_t k_x25519_key_size = 32;
using X25519Public = std::array<std::byte, k_x25519_key_size>;

// The public key of a raw 32-byte X25519 private key.
X25519Public x25519_public_of(const SecretKey& private_key);

// Seals `plaintext` to `recipient`. `info` separates uses (it is the HKDF info).
std::string x25519_seal(const X25519Public& recipient, std::string_view info,
                        std::span<const std::byte> aad, std::span<const std::byte> plaintext);

// Opens what x25519_seal produced. Returns false if authentication fails.
bool x25519_open(const SecretKey& recipient_private, std::string_view info,
                 std::span<const std::byte> aad, std::span<const std::byte> sealed,
                 std::span<std::byte> out);

} // namespace cairn::crypto
