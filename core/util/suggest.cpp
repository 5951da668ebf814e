#include "core/util/suggest.hpp"

#include <algorithm>
#include <numeric>

namespace cairn {

size_t edit_distance(std::string_view a, std::string_view b) {
    // One row of the classic dynamic-programming table at a time.
    std::vector<size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), size_t{0});
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    constexpr size_t k_max_edits = 2;
    std::optional<std::string> best;
    size_t best_distance = k_max_edits + 1;
    for (const auto& c : candidates) {
        const size_t d = edit_distance(word, c);
        if (d < best_distance && d < word.size()) {
            best = c;
            best_distance = d;
        }
    }
    return best;
}

} // namespace cairn
