#include "core/crypto/aead.hpp"

#include "core/util/error.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <memory>

namespace cairn::crypto {

namespace {

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* uc(const std::byte* p) {
    return reinterpret_cast<const unsigned char*>(p);
}
unsigned char* uc(std::byte* p) {
    return reinterpret_cast<unsigned char*>(p);
}

CipherCtx gcm_ctx(const SecretKey& key, GcmNonce nonce, std::span<const std::byte> aad, int enc) {
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int outl = 0;
    if (!ctx ||
        EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), uc(nonce.data()),
                          enc) != 1 ||
        (!aad.empty() && EVP_CipherUpdate(ctx.get(), nullptr, &outl, uc(aad.data()),
                                          static_cast<int>(aad.size())) != 1))
        throw Error(ErrorKind::internal, "cannot initialise AES-256-GCM");
    return ctx;
}

} // namespace

std::string gcm_seal(const SecretKey& key, GcmNonce nonce, std::span<const std::byte> aad,
                     std::span<const std::byte> plaintext) {
    CipherCtx ctx = gcm_ctx(key, nonce, aad, 1);
    std::string out(plaintext.size() + k_gcm_tag_size, '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    int outl = 0, finl = 0;
    if (EVP_EncryptUpdate(ctx.get(), o, &outl, uc(plaintext.data()),
                          static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), o + outl, &finl) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_gcm_tag_size),
                            o + plaintext.size()) != 1)
        throw Error(ErrorKind::internal, "AES-256-GCM encryption failed");
    return out;
}

bool gcm_open(const SecretKey& key, GcmNonce nonce, std::span<const std::byte> aad,
              std::span<const std::byte> sealed, std::span<std::byte> out) {
    if (sealed.size() < k_gcm_tag_size || out.size() != sealed.size() - k_gcm_tag_size)
        return false;
    CipherCtx ctx = gcm_ctx(key, nonce, aad, 0);
    // OpenSSL's ctrl takes a non-const pointer but only copies the tag.
    std::array<unsigned char, k_gcm_tag_size> tag{};
    std::copy_n(uc(sealed.data()) + out.size(), tag.size(), tag.begin());
    int outl = 0, finl = 0;
    bool ok = EVP_DecryptUpdate(ctx.get(), uc(out.data()), &outl, uc(sealed.data()),
                                static_cast<int>(out.size())) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                                  tag.data()) == 1 &&
              EVP_DecryptFinal_ex(ctx.get(), uc(out.data()) + outl, &finl) == 1;
    if (!ok) OPENSSL_cleanse(out.data(), out.size());
    return ok;
}

SecretKey hkdf_sha256(std::span<const std::byte> ikm, std::span<const std::byte> salt,
                      std::string_view info) {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    EVP_KDF_CTX* kctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
    EVP_KDF_free(kdf);
    if (!kctx) throw Error(ErrorKind::internal, "HKDF is not available");
    char digest[] = "SHA256";
    // An empty salt is left out: HKDF then uses HashLen zero bytes (RFC 5869).
    std::array<OSSL_PARAM, 5> params{};
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                    const_cast<std::byte*>(ikm.data()), ikm.size());
    if (!salt.empty())
        params[n++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_SALT, const_cast<std::byte*>(salt.data()), salt.size());
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                    const_cast<char*>(info.data()), info.size());
    params[n] = OSSL_PARAM_construct_end();
    SecretKey out;
    int rc = EVP_KDF_derive(kctx, uc(out.mutable_bytes().data()), SecretKey::k_size, params.data());
    EVP_KDF_CTX_free(kctx);
    if (rc != 1) throw Error(ErrorKind::internal, "HKDF-SHA256 failed");
    return out;
}

} // namespace cairn::crypto
