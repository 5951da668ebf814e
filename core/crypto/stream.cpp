#include "core/crypto/stream.hpp"

#include "core/crypto/segment_cipher.hpp"
#include "core/crypto/stream_header.hpp"
#include "core/crypto/stream_testing.hpp"
#include "core/util/error.hpp"
#include "core/util/random.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <vector>

// Layout (docs/FORMAT.md, "Encrypted objects"):
//   header  = "CAIRNENC" | version u8 | algorithm u8 | segment_size be32
//             | uid_len u8 | uid | key_id_len u8 | key_id | nonce_prefix[7]
//   segment = ciphertext | tag[16], for i = 0 .. n-1
// Every segment but the last holds exactly segment_size plaintext bytes; the
// last holds 0 .. segment_size-1 bytes, so there is always exactly one final
// segment and its length alone marks the end of the stream.

namespace cairn::crypto {

namespace {

using namespace detail;

thread_local std::optional<Prefix> t_prefix_override;

} // namespace

namespace testing {
ScopedNoncePrefix::ScopedNoncePrefix(const std::array<std::byte, k_nonce_prefix_size>& prefix) {
    t_prefix_override = prefix;
}
ScopedNoncePrefix::~ScopedNoncePrefix() {
    t_prefix_override.reset();
}
} // namespace testing

struct StreamEncryptor::Impl {
    Impl(const SecretKey& key, Header h, ByteSink sink)
        : cipher(key, h, 1), out(std::move(sink)), segment_size(h.segment_size),
          // Not zeroed: a small file touches a few bytes of the 1 MiB, and
          // only bytes written (up to `used`) are ever read or wiped.
          buf(new std::byte[segment_size + k_tag_size]) {
        emit(h.bytes.data(), h.bytes.size());
    }
    ~Impl() { wipe(); }

    void emit(const std::byte* p, size_t n) {
        out(std::span<const std::byte>(p, n));
        total += n;
    }
    void seal_from(const std::byte* in, size_t n, bool last) {
        used = std::max(used, n + k_tag_size);
        cipher.seal(index++, last, in, n, buf.get());
        emit(buf.get(), n + k_tag_size);
    }
    void stage(const std::byte* p, size_t n) {
        std::memcpy(buf.get() + fill, p, n);
        fill += n;
        used = std::max(used, fill);
    }
    void wipe() {
        OPENSSL_cleanse(buf.get(), used);
        used = 0;
    }

    SegmentCipher cipher;
    ByteSink out;
    size_t segment_size;
    std::unique_ptr<std::byte[]> buf; // staged plaintext, then ciphertext || tag in place
    size_t used = 0;                  // bytes of buf written since the last wipe
    size_t fill = 0;
    uint64_t index = 0;
    uint64_t total = 0;
    bool finished = false;
};

StreamEncryptor::StreamEncryptor(const SecretKey& data_key, const StreamParams& params,
                                 ByteSink out) {
    check_params(params);
    Prefix prefix{};
    if (t_prefix_override)
        prefix = *t_prefix_override;
    else
        random_bytes(prefix);
    auto bytes = encode_header(params, prefix);
    Header h = parse_header(bytes, "new object");
    m_impl = std::make_unique<Impl>(data_key, std::move(h), std::move(out));
}

StreamEncryptor::~StreamEncryptor() = default;

void StreamEncryptor::write(std::span<const std::byte> plaintext) {
    Impl& s = *m_impl;
    if (s.finished) throw Error(ErrorKind::internal, "write after finish on an encrypted stream");
    while (!plaintext.empty()) {
        // Whole segments straight from the caller's buffer: no staging copy.
        if (s.fill == 0 && plaintext.size() >= s.segment_size) {
            s.seal_from(plaintext.data(), s.segment_size, false);
            plaintext = plaintext.subspan(s.segment_size);
            continue;
        }
        size_t n = std::min(s.segment_size - s.fill, plaintext.size());
        s.stage(plaintext.data(), n);
        plaintext = plaintext.subspan(n);
        if (s.fill == s.segment_size) {
            s.seal_from(s.buf.get(), s.fill, false);
            s.fill = 0;
        }
    }
}

void StreamEncryptor::finish() {
    Impl& s = *m_impl;
    if (s.finished) throw Error(ErrorKind::internal, "finish called twice on an encrypted stream");
    s.finished = true;
    s.seal_from(s.buf.get(), s.fill, true);
    s.fill = 0;
    s.wipe();
}

uint64_t StreamEncryptor::ciphertext_bytes() const {
    return m_impl->total;
}

std::string decrypt_range(const SecretKey& data_key, const std::string& expected_uid,
                          uint64_t ciphertext_size,
                          const std::function<std::string(uint64_t, uint64_t)>& read_ciphertext,
                          uint64_t offset, uint64_t length) {
    const std::string what = "encrypted object";
    auto fetch = [&](uint64_t off, uint64_t len) {
        std::string s = read_ciphertext(off, len);
        if (s.size() != len) throw integrity(what, "short read from storage");
        return s;
    };
    std::string head = fetch(0, std::min<uint64_t>(ciphertext_size, k_max_header));
    Header h = parse_header(std::as_bytes(std::span(head.data(), head.size())), what);
    check_uid(h, expected_uid, what);

    const uint64_t seg = h.segment_size, unit = seg + k_tag_size;
    const uint64_t body = ciphertext_size - h.bytes.size();
    const uint64_t n_full = body / unit, rem = body % unit;
    if (rem < k_tag_size) throw integrity(what, "invalid size: truncated or padded");
    const uint64_t plain_size = n_full * seg + rem - k_tag_size;
    if (offset >= plain_size || length == 0) return {};
    const uint64_t end = offset + std::min(length, plain_size - offset);
    const uint64_t first = offset / seg, last = (end - 1) / seg;
    const uint64_t c_off = h.bytes.size() + first * unit;
    const uint64_t c_end = last < n_full ? h.bytes.size() + (last + 1) * unit : ciphertext_size;
    std::string data = fetch(c_off, c_end - c_off);

    SegmentCipher cipher(data_key, h, 0);
    std::string out;
    out.reserve(end - offset);
    for (uint64_t i = first; i <= last; ++i) {
        auto* p = reinterpret_cast<std::byte*>(data.data()) + (i - first) * unit;
        uint64_t n = (i < n_full ? unit : rem) - k_tag_size;
        if (!cipher.open(i, i == n_full, p, n, p)) {
            OPENSSL_cleanse(data.data(), data.size());
            throw auth_failure(what, i);
        }
        uint64_t seg_start = i * seg;
        uint64_t from = std::max(offset, seg_start) - seg_start;
        uint64_t to = std::min(end, seg_start + n) - seg_start;
        out.append(reinterpret_cast<const char*>(p) + from, to - from);
    }
    OPENSSL_cleanse(data.data(), data.size());
    return out;
}

uint64_t ciphertext_size_for(uint64_t plaintext_size, const StreamParams& params) {
    check_params(params);
    const uint64_t header = k_fixed_header + params.artifact_uid.size() + params.key_id.size();
    return header + plaintext_size + (plaintext_size / params.segment_size + 1) * k_tag_size;
}

} // namespace cairn::crypto
