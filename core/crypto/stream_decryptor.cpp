#include "core/crypto/segment_cipher.hpp"
#include "core/crypto/stream.hpp"
#include "core/crypto/stream_header.hpp"
#include "core/util/fs.hpp"

#include <openssl/crypto.h>

#include <vector>

namespace cairn::crypto {

namespace {

using namespace detail;

// Reads the header piece by piece (its length is only known from its
// fields), so no segment byte is consumed.
Header read_header(int fd, const std::filesystem::path& path) {
    std::vector<std::byte> hb(k_max_header);
    size_t got = read_full(fd, std::span(hb).first(k_fixed_header - k_prefix_size - 1), path);
    size_t uid_len = got >= 15 ? std::to_integer<size_t>(hb[14]) : 0;
    got += read_full(fd, std::span(hb).subspan(got, uid_len + 1), path);
    size_t kid_len = got == 16 + uid_len ? std::to_integer<size_t>(hb[15 + uid_len]) : 0;
    got += read_full(fd, std::span(hb).subspan(got, kid_len + k_prefix_size), path);
    return parse_header(std::span(hb).first(got), path.string());
}

} // namespace

struct StreamDecryptor::Impl {
    Impl(const SecretKey& key, fs::Fd file, std::filesystem::path p, Header header)
        : fd(std::move(file)), path(std::move(p)), h(std::move(header)), cipher(key, h, 0),
          ciphertext(h.segment_size + k_tag_size) {}

    fs::Fd fd;
    std::filesystem::path path;
    Header h;
    SegmentCipher cipher;
    // One segment and its tag. Never holds plaintext (next() decrypts out of
    // place into the caller's buffer), so it needs no wiping.
    std::vector<std::byte> ciphertext;
    uint64_t index = 0;
    bool done = false;
};

StreamDecryptor::StreamDecryptor(const SecretKey& data_key, const std::string& expected_uid,
                                 const std::filesystem::path& ciphertext) {
    fs::Fd fd = fs::open_read(ciphertext);
    Header h = read_header(fd.get(), ciphertext);
    check_uid(h, expected_uid, ciphertext.string());
    m_impl = std::make_unique<Impl>(data_key, std::move(fd), ciphertext, std::move(h));
}

StreamDecryptor::~StreamDecryptor() = default;

size_t StreamDecryptor::segment_size() const {
    return m_impl->h.segment_size;
}

bool StreamDecryptor::done() const {
    return m_impl->done;
}

size_t StreamDecryptor::next(std::span<std::byte> out) {
    Impl& s = *m_impl;
    const std::string what = s.path.string();
    if (s.done) throw Error(ErrorKind::internal, "read past the final segment of " + what);
    if (out.size() < s.h.segment_size) throw Error(ErrorKind::internal, "segment buffer too small");
    // A segment shorter than a full one is the final segment.
    const size_t n = read_full(s.fd.get(), s.ciphertext, s.path);
    const bool last = n < s.ciphertext.size();
    if (n < k_tag_size) throw integrity(what, "truncated: the final segment is missing");
    const size_t plain = n - k_tag_size;
    if (!s.cipher.open(s.index, last, s.ciphertext.data(), plain, out.data())) {
        OPENSSL_cleanse(out.data(), plain);
        throw auth_failure(what, s.index);
    }
    ++s.index;
    s.done = last;
    return plain;
}

void decrypt_file(const SecretKey& data_key, const std::string& expected_uid,
                  const std::filesystem::path& ciphertext, const ByteSink& out) {
    StreamDecryptor dec(data_key, expected_uid, ciphertext);
    std::vector<std::byte> buf(dec.segment_size());
    struct Wipe {
        std::vector<std::byte>& b;
        ~Wipe() { OPENSSL_cleanse(b.data(), b.size()); }
    } wipe{buf};
    while (!dec.done()) {
        const size_t n = dec.next(buf);
        if (n > 0) out(std::span<const std::byte>(buf.data(), n));
    }
}

} // namespace cairn::crypto
