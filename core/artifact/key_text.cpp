#include "core/artifact/key_text.hpp"

#include "core/util/error.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utf8proc.h>

namespace cairn::artifact {

namespace {

const char* hidden_kind(utf8proc_int32_t cp) {
    const utf8proc_property_t* p = utf8proc_get_property(cp);
    switch (p->category) {
    case UTF8PROC_CATEGORY_CC: return "a control character";
    case UTF8PROC_CATEGORY_CF: return "an invisible format or bidirectional control character";
    case UTF8PROC_CATEGORY_ZL: return "a line separator";
    case UTF8PROC_CATEGORY_ZP: return "a paragraph separator";
    case UTF8PROC_CATEGORY_ZS: return cp == ' ' ? nullptr : "a space other than U+0020";
    default: break;
    }
    return p->ignorable ? "an invisible (default-ignorable) character" : nullptr;
}

} // namespace

std::string to_nfc(std::string_view s) {
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                            static_cast<utf8proc_ssize_t>(s.size()), &out,
                                            static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
    if (n < 0) throw Error(ErrorKind::usage, std::string("invalid key: ") + utf8proc_errmsg(n));
    return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

std::optional<std::string> first_hidden_character(std::string_view s) {
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
    while (left > 0) {
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
        if (n <= 0) return "invalid UTF-8";
        if (const char* kind = hidden_kind(cp)) {
            char code[16];
            std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
            return std::string(code) + " (" + kind + ")";
        }
        p += n;
        left -= n;
    }
    return std::nullopt;
}

} // namespace cairn::artifact
