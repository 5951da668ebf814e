#pragma once
// Member grants: the instance key wrapped for one person's public key, so
// access can be granted and revoked per member (docs/FORMAT.md, "Wrapped
// keys", types 3 and 4). Supported member keys: RSA of at least 2048 bits
// (RSA-OAEP with SHA-256 and MGF1-SHA-256) and X25519, both as PEM.
#include "core/crypto/secret.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace cairn::keys {

// Wraps `instance_key` for the member whose public key is `public_key_pem`
// (a PEM "PUBLIC KEY" block). The blob records the instance key id.
// Throws usage errors for unparsable keys, other key types and RSA keys
// shorter than 2048 bits.
std::string wrap_for_member(const crypto::SecretKey& instance_key, std::string_view public_key_pem);

// Opens the member's private key (an unencrypted PEM file that must be
// 0600; permission error otherwise) and unwraps a blob made by
// wrap_for_member(). Integrity error if the blob was made for another key
// or was modified.
crypto::SecretKey unwrap_as_member(std::string_view wrapped,
                                   const std::filesystem::path& private_key_pem);

// A short stable name for a member key: the first 16 hex characters of
// SHA-256 over its DER SubjectPublicKeyInfo. Usage error if unparsable.
std::string member_fingerprint(std::string_view public_key_pem);

} // namespace cairn::keys
