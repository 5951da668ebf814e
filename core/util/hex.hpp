#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

std::string to_hex(std::span<const std::byte> data);
inline std::string to_hex(std::string_view s) {
    return to_hex(std::as_bytes(std::span(s.data(), s.size())));
}
// Throws usage error on odd length or non-hex characters.
std::vector<std::byte> from_hex(std::string_view hex);

} // namespace cairn
