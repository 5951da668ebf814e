#include "core/crypto/stream_header.hpp"

#include <algorithm>
#include <cstring>

namespace cairn::crypto::detail {

Error integrity(const std::string& what, const std::string& message) {
    return Error(ErrorKind::integrity, what + ": " + message);
}

void check_params(const StreamParams& p) {
    if (p.segment_size < k_min_segment || p.segment_size > k_max_segment)
        throw Error(ErrorKind::usage, "encryption segment size must be between 64 KiB and 1 MiB");
    if (p.artifact_uid.size() > k_max_field || p.key_id.size() > k_max_field)
        throw Error(ErrorKind::usage, "artifact uid and key id must be at most 255 bytes");
}

std::vector<std::byte> encode_header(const StreamParams& p, const Prefix& prefix) {
    std::vector<std::byte> h;
    h.reserve(k_fixed_header + p.artifact_uid.size() + p.key_id.size());
    auto put = [&h](uint8_t b) { h.push_back(std::byte{b}); };
    auto put_str = [&](const std::string& s) {
        put(static_cast<uint8_t>(s.size()));
        for (char c : s)
            put(static_cast<uint8_t>(c));
    };
    for (char c : k_magic)
        put(static_cast<uint8_t>(c));
    put(k_format_version);
    put(k_alg_aes256gcm_stream);
    for (int shift = 24; shift >= 0; shift -= 8)
        put(static_cast<uint8_t>(p.segment_size >> shift));
    put_str(p.artifact_uid);
    put_str(p.key_id);
    h.insert(h.end(), prefix.begin(), prefix.end());
    return h;
}

Header parse_header(std::span<const std::byte> data, const std::string& what) {
    size_t pos = 0;
    auto need = [&](size_t n) {
        if (data.size() - pos < n) throw integrity(what, "truncated header");
    };
    auto get = [&]() { return std::to_integer<uint8_t>(data[pos++]); };
    auto get_str = [&]() {
        need(1);
        size_t n = get();
        need(n);
        std::string s(reinterpret_cast<const char*>(data.data()) + pos, n);
        pos += n;
        return s;
    };
    need(k_magic.size());
    if (std::memcmp(data.data(), k_magic.data(), k_magic.size()) != 0)
        throw integrity(what, "not a cairn encrypted object (bad magic)");
    pos = k_magic.size();
    need(6);
    if (uint8_t v = get(); v != k_format_version)
        throw integrity(what, "unsupported encryption format version " + std::to_string(v));
    if (uint8_t a = get(); a != k_alg_aes256gcm_stream)
        throw integrity(what, "unknown encryption algorithm id " + std::to_string(a));
    Header h;
    for (int i = 0; i < 4; ++i)
        h.segment_size = (h.segment_size << 8) | get();
    if (h.segment_size < k_min_segment || h.segment_size > k_max_segment)
        throw integrity(what, "invalid segment size " + std::to_string(h.segment_size));
    h.uid = get_str();
    h.key_id = get_str();
    need(k_prefix_size);
    std::copy_n(data.begin() + static_cast<ptrdiff_t>(pos), k_prefix_size, h.prefix.begin());
    pos += k_prefix_size;
    h.bytes.assign(data.begin(), data.begin() + static_cast<ptrdiff_t>(pos));
    return h;
}

void check_uid(const Header& h, const std::string& expected, const std::string& what) {
    if (h.uid != expected)
        throw integrity(what,
                        "object belongs to artifact '" + h.uid + "', expected '" + expected + "'");
}

} // namespace cairn::crypto::detail
