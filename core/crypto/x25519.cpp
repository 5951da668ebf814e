#include "core/crypto/x25519.hpp"

#include "core/crypto/aead.hpp"
#include "core/util/error.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace cairn::crypto {

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

const unsigned char* uc(const std::byte* p) {
    return reinterpret_cast<const unsigned char*>(p);
}

Pkey private_pkey(const SecretKey& k) {
    Pkey p(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, k.data(), SecretKey::k_size));
    if (!p) throw Error(ErrorKind::internal, "cannot load an X25519 private key");
    return p;
}

X25519Public raw_public(EVP_PKEY* p) {
    X25519Public out{};
    size_t len = out.size();
    if (EVP_PKEY_get_raw_public_key(p, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
        len != out.size())
        throw Error(ErrorKind::internal, "cannot read an X25519 public key");
    return out;
}

// X25519(private, peer). Fails (returns false) for low-order peer points,
// which OpenSSL detects as an all-zero shared secret.
bool agree(EVP_PKEY* priv, const X25519Public& peer, std::array<std::byte, 32>& shared) {
    Pkey peer_key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, uc(peer.data()), peer.size()));
    PkeyCtx ctx(EVP_PKEY_CTX_new(priv, nullptr));
    size_t len = shared.size();
    return peer_key && ctx && EVP_PKEY_derive_init(ctx.get()) == 1 &&
           EVP_PKEY_derive_set_peer(ctx.get(), peer_key.get()) == 1 &&
           EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(shared.data()), &len) == 1 &&
           len == shared.size();
}

SecretKey seal_key(const std::array<std::byte, 32>& shared, const X25519Public& ephemeral,
                   const X25519Public& recipient, std::string_view info) {
    std::array<std::byte, 64> salt{};
    std::copy(ephemeral.begin(), ephemeral.end(), salt.begin());
    std::copy(recipient.begin(), recipient.end(), salt.begin() + 32);
    return hkdf_sha256(shared, salt, info);
}

constexpr std::array<std::byte, k_gcm_nonce_size> k_zero_nonce{};

} // namespace

X25519Public x25519_public_of(const SecretKey& private_key) {
    Pkey p = private_pkey(private_key);
    return raw_public(p.get());
}

std::string x25519_seal(const X25519Public& recipient, std::string_view info,
                        std::span<const std::byte> aad, std::span<const std::byte> plaintext) {
    SecretKey eph_private = SecretKey::random();
    Pkey eph = private_pkey(eph_private);
    X25519Public eph_public = raw_public(eph.get());
    std::array<std::byte, 32> shared{};
    if (!agree(eph.get(), recipient, shared))
        throw Error(ErrorKind::usage, "the X25519 public key is invalid");
    SecretKey key = seal_key(shared, eph_public, recipient, info);
    OPENSSL_cleanse(shared.data(), shared.size());
    std::string out(reinterpret_cast<const char*>(eph_public.data()), eph_public.size());
    out += gcm_seal(key, k_zero_nonce, aad, plaintext);
    return out;
}

bool x25519_open(const SecretKey& recipient_private, std::string_view info,
                 std::span<const std::byte> aad, std::span<const std::byte> sealed,
                 std::span<std::byte> out) {
    if (sealed.size() < k_x25519_key_size + k_gcm_tag_size) return false;
    X25519Public eph_public{};
    std::copy_n(sealed.begin(), eph_public.size(), eph_public.begin());
    Pkey priv = private_pkey(recipient_private);
    X25519Public recipient = raw_public(priv.get());
    std::array<std::byte, 32> shared{};
    if (!agree(priv.get(), eph_public, shared)) return false;
    SecretKey key = seal_key(shared, eph_public, recipient, info);
    OPENSSL_cleanse(shared.data(), shared.size());
    return gcm_open(key, k_zero_nonce, aad, sealed.subspan(k_x25519_key_size), out);
}

} // namespace cairn::crypto
