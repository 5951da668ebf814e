#pragma once
#include <cstddef>
#include <span>
#include <string>

namespace cairn {

// Fills buf from OpenSSL's CSPRNG; throws on failure (never falls back).
void random_bytes(std::span<std::byte> buf);
// Lower-case hex of n random bytes (2n characters).
std::string random_hex(size_t n_bytes);
// A new artifact/run uid: 16 characters of [0-9a-z], 80 random bits.
std::string new_uid();

} // namespace cairn
