#include "core/util/text_width.hpp"

#include <utf8proc.h>

namespace cairn {

size_t display_width(std::string_view s) {
    size_t width = 0;
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
    while (left > 0) {
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
        if (n <= 0) { // not UTF-8: one column for the byte
            ++width;
            ++p;
            --left;
            continue;
        }
        const int w = utf8proc_charwidth(cp);
        width += w > 0 ? static_cast<size_t>(w) : 0;
        p += n;
        left -= n;
    }
    return width;
}

std::string pad_to(std::string_view s, size_t width) {
    std::string out(s);
    const size_t have = display_width(s);
    if (have < width) out.append(width - have, ' ');
    return out;
}

} // namespace cairn
