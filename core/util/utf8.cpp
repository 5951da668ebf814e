#include "core/util/utf8.hpp"

#include <cstddef>
#include <vector>

namespace cairn {

size_t utf8_sequence_length(std::string_view s, size_t i) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const unsigned c = p[i];
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return 0;
    unsigned cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
        if ((p[i + k] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

bool is_valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const size_t len = utf8_sequence_length(s, i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

namespace {

// The code point of the valid sequence of `n` bytes at s[i].
char32_t decode(std::string_view s, size_t i, size_t n) {
    const auto b = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
    if (n == 1) return b(0);
    if (n == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    if (n == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

void encode(char32_t c, std::string& out) {
    const auto put = [&](char32_t v) { out.push_back(static_cast<char>(v)); };
    if (c < 0x80) return put(c);
    if (c < 0x800) {
        put(0xC0 | (c >> 6));
    } else if (c < 0x10000) {
        put(0xE0 | (c >> 12));
        put(0x80 | ((c >> 6) & 0x3F));
    } else {
        put(0xF0 | (c >> 18));
        put(0x80 | ((c >> 12) & 0x3F));
        put(0x80 | ((c >> 6) & 0x3F));
    }
    put(0x80 | (c & 0x3F));
}

} // namespace

std::string utf8_prefix_end(std::string_view prefix) {
    // The start of each code point, so the last can be raised.
    std::vector<size_t> starts;
    for (size_t i = 0; i < prefix.size();) {
        const size_t n = utf8_sequence_length(prefix, i);
        if (n == 0) return {};
        starts.push_back(i);
        i += n;
    }
    size_t end = prefix.size();
    while (!starts.empty()) {
        const size_t at = starts.back();
        starts.pop_back();
        char32_t c = decode(prefix, at, end - at);
        if (c < 0x10FFFF) {
            c = c == 0xD7FF ? 0xE000 : c + 1; // UTF-8 orders by code point; surrogates have no encoding
            std::string out(prefix.substr(0, at));
            encode(c, out);
            return out;
        }
        end = at; // U+10FFFF cannot be raised: raise the code point before it
    }
    return {};
}

} // namespace cairn
