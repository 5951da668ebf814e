#include "core/artifact/range.hpp"

#include "core/crypto/tree_hash.hpp"
#include "core/util/error.hpp"

#include <charconv>
#include <string>

namespace cairn::artifact {

namespace {

[[noreturn]] void bad_range(std::string_view text, const std::string& why) {
    throw Error(ErrorKind::usage, "invalid --range '" + std::string(text) + "': " + why,
                "use --range A-B: bytes A to B inclusive, counted from 0 (e.g. 0-1023 for the first KiB)");
}

uint64_t parse_offset(std::string_view whole, std::string_view digits) {
    uint64_t v = 0;
    const char* end = digits.data() + digits.size();
    // from_chars alone would accept a leading '-' for signed types only; it
    // rejects '+', spaces and overflow for unsigned ones, as wanted.
    auto [p, ec] = std::from_chars(digits.data(), end, v);
    if (digits.empty() || ec == std::errc::result_out_of_range || ec != std::errc() || p != end)
        bad_range(whole, ec == std::errc::result_out_of_range ? "offset too large" : "offsets must be decimal numbers");
    return v;
}

} // namespace

ByteRange parse_range(std::string_view text) {
    const size_t dash = text.find('-');
    if (dash == std::string_view::npos) bad_range(text, "expected A-B");
    ByteRange r{parse_offset(text, text.substr(0, dash)), parse_offset(text, text.substr(dash + 1))};
    if (r.first > r.last) bad_range(text, "the first byte comes after the last");
    return r;
}

void check_range(const catalog::ArtifactRow& a, const ByteRange& r) {
    const std::string range = std::to_string(r.first) + "-" + std::to_string(r.last);
    if (a.kind == "folder")
        throw Error(ErrorKind::usage, "artifact " + a.key + " is a folder: --range reads bytes of a file artifact only",
                    "load the whole folder with -o DIR");
    if (!crypto::is_tree_hash(a.hash))
        throw Error(ErrorKind::usage,
                    "artifact " + a.key + " v" + std::to_string(a.version) +
                        " was saved before tree hashes and cannot be read by range",
                    "load it whole (a range of it cannot be verified on its own)");
    if (r.last >= a.size)
        throw Error(ErrorKind::usage,
                    "--range " + range + " goes past the end of " + a.key + " v" + std::to_string(a.version) + " (" +
                        std::to_string(a.size) + " bytes" + (a.size ? ", last byte " + std::to_string(a.size - 1) : "") +
                        ")",
                    a.size ? "ask for bytes 0-" + std::to_string(a.size - 1) + " at most" : "the artifact is empty");
}

} // namespace cairn::artifact
