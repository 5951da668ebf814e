#pragma once
// Lookalike keys (issue 15): keys are compared byte by byte, so two
// spellings that look the same must not both be keys. A key must be in
// Unicode NFC and hold no character that is invisible or reorders text
// (control, format and bidirectional characters, line and paragraph
// separators, default-ignorable code points, spaces other than U+0020).
// Uses utf8proc (Unicode data for normalisation and categories).
#include <optional>
#include <string>
#include <string_view>

namespace cairn::artifact {

// The NFC form of valid UTF-8 `s`.
std::string to_nfc(std::string_view s);

// The first code point of valid UTF-8 `s` that a key may not hold, as
// "U+XXXX (what it is)", or nullopt.
std::optional<std::string> first_hidden_character(std::string_view s);

} // namespace cairn::artifact
