#pragma once
// UTF-8 validation (knows nothing of cairn).
#include <string_view>

namespace cairn {

// True if `s` is valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view s);

} // namespace cairn
