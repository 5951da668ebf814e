#pragma once
// UTF-8 validation (knows nothing of cairn).
#include <cstddef>
#include <string>
#include <string_view>

namespace cairn {

// True if `s` is valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view s);

// The length of the valid UTF-8 sequence that starts at s[i] (1 to 4), or 0
// if the bytes there are not one.
size_t utf8_sequence_length(std::string_view s, size_t i);

// For valid UTF-8 `prefix`: the least valid UTF-8 string greater (bytewise)
// than every string that starts with `prefix` (its last code point plus one,
// surrogates skipped; U+10FFFF is dropped and the one before it raised), so
// the strings that start with `prefix` are those in [prefix, result). Empty
// when there is none (an empty prefix, or one of U+10FFFF only).
std::string utf8_prefix_end(std::string_view prefix);

} // namespace cairn
