#include "core/crypto/secret.hpp"

#include "core/util/error.hpp"
#include "core/util/random.hpp"

#include <openssl/crypto.h>

namespace cairn::crypto {

SecretKey::SecretKey(SecretKey&& o) noexcept : m_bytes(o.m_bytes) { o.clear(); }

SecretKey& SecretKey::operator=(SecretKey&& o) noexcept {
    if (this != &o) {
        m_bytes = o.m_bytes;
        o.clear();
    }
    return *this;
}

SecretKey::~SecretKey() { clear(); }

void SecretKey::clear() { OPENSSL_cleanse(m_bytes.data(), m_bytes.size()); }

SecretKey SecretKey::random() {
    SecretKey k;
    random_bytes(k.m_bytes);
    return k;
}

SecretKey SecretKey::from_bytes(std::span<const std::byte> bytes) {
    if (bytes.size() != k_size) throw Error(ErrorKind::integrity, "key has the wrong length");
    SecretKey k;
    std::copy(bytes.begin(), bytes.end(), k.m_bytes.begin());
    return k;
}

bool constant_time_equal(std::span<const std::byte> a, std::span<const std::byte> b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace cairn::crypto
