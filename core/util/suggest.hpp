#pragma once
// "Did you mean" support: edit distance over a small set of names.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

// Levenshtein distance (insertions, deletions, substitutions, each cost 1).
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely
// typo: at most 2 edits and fewer edits than `word` has characters (so "x"
// suggests nothing). Ties go to the earlier candidate; nullopt if none fits.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

} // namespace cairn
