#include "core/util/hex.hpp"

#include "core/util/error.hpp"

namespace cairn {

std::string to_hex(std::span<const std::byte> data) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(data.size() * 2);
    for (std::byte b : data) {
        auto v = static_cast<unsigned>(b);
        out.push_back(k_digits[v >> 4]);
        out.push_back(k_digits[v & 15u]);
    }
    return out;
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
} // namespace

std::vector<std::byte> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) throw Error(ErrorKind::usage, "hex string has odd length");
    std::vector<std::byte> out(hex.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) throw Error(ErrorKind::usage, "invalid hex digit");
        out[i] = static_cast<std::byte>(hi * 16 + lo);
    }
    return out;
}

} // namespace cairn
