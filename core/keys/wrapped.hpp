#pragma once
// Wrapped-key blobs (docs/FORMAT.md, "Wrapped keys"): type(1) || key id(8)
// || body. The first nine bytes also go, after a domain string, into the
// associated data of the AEAD that seals the body. Internal to core/keys.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cairn::keys::detail {

enum class WrapType : uint8_t {
    instance_gcm = 1,    // data key, AES-256-GCM under the instance key
    instance_x25519 = 2, // data key, sealed to the instance X25519 key (write-only)
    member_rsa = 3,      // instance key, RSA-OAEP-SHA256 to a member
    member_x25519 = 4,   // instance key, sealed to a member's X25519 key
};

constexpr size_t k_key_id_bytes = 8;
constexpr size_t k_wrap_prefix = 1 + k_key_id_bytes;

struct Wrapped {
    WrapType type;
    std::string key_id; // 16 hex chars
    std::string prefix; // type || key id, as stored
    std::span<const std::byte> body;
};

// Splits a blob; integrity error for an unknown type or a short blob.
Wrapped parse_wrapped(std::string_view blob);
// type || key id bytes (key_id is 16 hex chars).
std::string wrap_prefix(WrapType type, const std::string& key_id);
// Associated data for the AEAD sealing a blob with this prefix.
std::string wrap_aad(std::string_view prefix);
// Throws the integrity error for a blob made for another key.
void require_key_id(const Wrapped& w, const std::string& key_id);

} // namespace cairn::keys::detail
