#pragma once
// Columns for people: keys are UTF-8, and "é" is two bytes but one column,
// "数" three bytes but two. printf's %-40s pads by bytes, which misaligns
// every row after a non-ASCII key.
#include <cstddef>
#include <string>
#include <string_view>

namespace cairn {

// Terminal columns `s` takes (East Asian wide characters count 2, combining
// marks 0); invalid UTF-8 counts one column a byte.
size_t display_width(std::string_view s);

// `s` followed by spaces up to `width` columns (nothing added when wider).
std::string pad_to(std::string_view s, size_t width);

} // namespace cairn
