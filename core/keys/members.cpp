#include "core/keys/members.hpp"

#include "core/crypto/aead.hpp"
#include "core/crypto/sha256.hpp"
#include "core/crypto/x25519.hpp"
#include "core/keys/key_file.hpp"
#include "core/keys/wrapped.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

namespace cairn::keys {

namespace {

using detail::WrapType;
constexpr std::string_view k_member_x25519_info = "cairn-member-v1 x25519";
constexpr int k_min_rsa_bits = 2048;

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// Never let OpenSSL prompt for a PEM passphrase on the terminal.
int no_password(char*, int, int, void*) {
    return 0;
}

Pkey read_public(std::string_view pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    Pkey key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, no_password, nullptr) : nullptr);
    if (!key)
        throw Error(ErrorKind::usage,
                    "cannot parse the member public key (expected a PEM PUBLIC KEY block)");
    return key;
}

Pkey read_private(const std::filesystem::path& path) {
    fs::require_private_file(path, "private key file");
    std::string pem = fs::read_file(path);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr) : nullptr);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (!key)
        throw Error(ErrorKind::usage,
                    "cannot read private key " + path.string() +
                        " (expected an unencrypted PEM private key, RSA or X25519)");
    return key;
}

// RSA-OAEP with SHA-256 for both the hash and MGF1; the label binds the blob prefix.
PkeyCtx oaep_ctx(EVP_PKEY* key, bool encrypt, const std::string& prefix) {
    PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
    std::string label = detail::wrap_aad(prefix);
    void* label_copy = OPENSSL_memdup(label.data(), label.size());
    bool ok =
        ctx && label_copy &&
        (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) == 1 &&
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) == 1 &&
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) == 1 &&
        EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label_copy, static_cast<int>(label.size())) ==
            1;
    if (!ok) {
        OPENSSL_free(label_copy);
        throw Error(ErrorKind::internal, "cannot set up RSA-OAEP-SHA256");
    }
    return ctx;
}

crypto::X25519Public raw_public(EVP_PKEY* key) {
    crypto::X25519Public pub{};
    size_t len = pub.size();
    if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(pub.data()), &len) != 1)
        throw Error(ErrorKind::usage, "cannot read the X25519 public key");
    return pub;
}

void check_unwrapped(const crypto::SecretKey& key, const detail::Wrapped& w) {
    if (detail::key_id_of(key) != w.key_id)
        throw Error(ErrorKind::integrity,
                    "member grant is corrupted: the unwrapped key does not match key id " +
                        w.key_id);
}

Error not_for_this_key() {
    return Error(
        ErrorKind::integrity,
        "cannot unwrap the member grant: it was made for another member key, or it was modified");
}

} // namespace

std::string wrap_for_member(const crypto::SecretKey& instance_key,
                            std::string_view public_key_pem) {
    Pkey key = read_public(public_key_pem);
    const std::string key_id = detail::key_id_of(instance_key);
    if (EVP_PKEY_is_a(key.get(), "RSA")) {
        if (EVP_PKEY_get_bits(key.get()) < k_min_rsa_bits)
            throw Error(
                ErrorKind::usage,
                "member RSA key has " + std::to_string(EVP_PKEY_get_bits(key.get())) +
                    " bits; at least 2048 are required",
                "generate a new key: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072");
        std::string prefix = detail::wrap_prefix(WrapType::member_rsa, key_id);
        PkeyCtx ctx = oaep_ctx(key.get(), true, prefix);
        size_t len = 0;
        auto* in = instance_key.data();
        if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, in, crypto::SecretKey::k_size) != 1)
            throw Error(ErrorKind::internal, "RSA-OAEP encryption failed");
        std::string out(len, '\0');
        if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in,
                             crypto::SecretKey::k_size) != 1)
            throw Error(ErrorKind::internal, "RSA-OAEP encryption failed");
        out.resize(len);
        return prefix + out;
    }
    if (EVP_PKEY_is_a(key.get(), "X25519")) {
        std::string prefix = detail::wrap_prefix(WrapType::member_x25519, key_id);
        return prefix + crypto::x25519_seal(raw_public(key.get()), k_member_x25519_info,
                                            crypto::byte_view(detail::wrap_aad(prefix)),
                                            instance_key.bytes());
    }
    throw Error(ErrorKind::usage, "unsupported member key type (use RSA >= 2048 bits or X25519)");
}

crypto::SecretKey unwrap_as_member(std::string_view wrapped,
                                   const std::filesystem::path& private_key_pem) {
    detail::Wrapped w = detail::parse_wrapped(wrapped);
    Pkey key = read_private(private_key_pem);
    crypto::SecretKey out;
    if (w.type == WrapType::member_rsa && EVP_PKEY_is_a(key.get(), "RSA")) {
        PkeyCtx ctx = oaep_ctx(key.get(), false, w.prefix);
        std::vector<unsigned char> buf(static_cast<size_t>(EVP_PKEY_get_size(key.get())));
        size_t len = buf.size();
        bool ok = EVP_PKEY_decrypt(ctx.get(), buf.data(), &len,
                                   reinterpret_cast<const unsigned char*>(w.body.data()),
                                   w.body.size()) == 1 &&
                  len == crypto::SecretKey::k_size;
        if (ok) out = crypto::SecretKey::from_bytes(std::as_bytes(std::span(buf.data(), len)));
        OPENSSL_cleanse(buf.data(), buf.size());
        if (!ok) throw not_for_this_key();
    } else if (w.type == WrapType::member_x25519 && EVP_PKEY_is_a(key.get(), "X25519")) {
        crypto::SecretKey priv;
        size_t len = crypto::SecretKey::k_size;
        if (EVP_PKEY_get_raw_private_key(
                key.get(), reinterpret_cast<unsigned char*>(priv.mutable_bytes().data()), &len) !=
            1)
            throw Error(ErrorKind::internal, "cannot read the X25519 private key");
        if (!crypto::x25519_open(priv, k_member_x25519_info,
                                 crypto::byte_view(detail::wrap_aad(w.prefix)), w.body,
                                 out.mutable_bytes()))
            throw not_for_this_key();
    } else {
        throw Error(ErrorKind::usage,
                    "the member grant and the private key " + private_key_pem.string() +
                        " are of different kinds (RSA vs X25519), or this is not a member grant");
    }
    check_unwrapped(out, w);
    return out;
}

std::string member_fingerprint(std::string_view public_key_pem) {
    Pkey key = read_public(public_key_pem);
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(key.get(), &der);
    if (len <= 0) throw Error(ErrorKind::usage, "cannot encode the member public key");
    std::string s(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    return crypto::sha256_hex(s).substr(0, 16);
}

} // namespace cairn::keys
