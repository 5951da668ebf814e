#pragma once
// The header of an encrypted object (docs/FORMAT.md, "Encrypted objects").
// Internal to core/crypto/stream.cpp.
#include "core/crypto/stream.hpp"
#include "core/crypto/stream_testing.hpp"
#include "core/util/error.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cairn::crypto::detail {

constexpr std::array<char, 8> k_magic = {'C', 'A', 'I', 'R', 'N', 'E', 'N', 'C'};
constexpr uint8_t k_format_version = 1;
constexpr uint8_t k_alg_aes256gcm_stream = 1;
constexpr size_t k_prefix_size = testing::k_nonce_prefix_size;
constexpr uint32_t k_min_segment = 64u << 10;
constexpr uint32_t k_max_segment = 1u << 20;
constexpr size_t k_max_field = 255;
// magic + version + algorithm + segment size + two length bytes + prefix.
constexpr size_t k_fixed_header = 8 + 1 + 1 + 4 + 1 + 1 + k_prefix_size;
constexpr size_t k_max_header = k_fixed_header + 2 * k_max_field;

using Prefix = std::array<std::byte, k_prefix_size>;

struct Header {
    uint32_t segment_size = 0;
    std::string uid;
    std::string key_id;
    Prefix prefix{};
    std::vector<std::byte> bytes; // exactly the header as stored: the AAD
};

// An integrity error about the object `what`.
Error integrity(const std::string& what, const std::string& message);

// Usage error for parameters the format cannot hold.
void check_params(const StreamParams& p);

std::vector<std::byte> encode_header(const StreamParams& p, const Prefix& prefix);

// Parses the header at the start of `data` (which may extend past it).
// Integrity errors for bad magic, version, algorithm, segment size or truncation.
Header parse_header(std::span<const std::byte> data, const std::string& what);

// Integrity error unless the header names artifact `expected`.
void check_uid(const Header& h, const std::string& expected, const std::string& what);

} // namespace cairn::crypto::detail
