#include "core/audit/keys.hpp"

#include "core/crypto/sha256.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/hex.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace cairn::audit {

namespace stdfs = std::filesystem;

namespace {

constexpr std::string_view k_mac_header = "cairn-audit-mac-key-v1\n";
constexpr std::string_view k_sign_header = "cairn-audit-signing-key-v1\n";
constexpr std::string_view k_pub_header = "cairn-audit-public-key-v1\n";
constexpr auto k_private = stdfs::perms::owner_read | stdfs::perms::owner_write;
constexpr auto k_public = k_private | stdfs::perms::group_read | stdfs::perms::others_read;

// Wipes a string holding key material when it goes out of scope.
struct Wiped {
    std::string text;
    ~Wiped() { OPENSSL_cleanse(text.data(), text.size()); }
};

// "<header><hex>\n" -> bytes; integrity error when malformed.
std::vector<std::byte> parse_key_file(const stdfs::path& path, std::string_view header, size_t size) {
    Wiped file{fs::read_file(path)};
    std::string_view s = file.text;
    if (s.substr(0, header.size()) != header)
        throw Error(ErrorKind::integrity, "audit key file " + path.string() + " is malformed");
    s.remove_prefix(header.size());
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    if (s.size() != size * 2)
        throw Error(ErrorKind::integrity, "audit key file " + path.string() + " has the wrong length");
    return from_hex(s);
}

void write_key_file(const stdfs::path& path, std::string_view header, std::span<const std::byte> key,
                    stdfs::perms mode) {
    Wiped text{std::string(header) + to_hex(key) + "\n"};
    fs::Fd fd = fs::create_exclusive(path, mode);
    fs::write_all(fd.get(), std::as_bytes(std::span(text.text.data(), text.text.size())), path);
    fs::fsync_fd(fd.get(), path);
}

// Never let OpenSSL prompt for a PEM passphrase on the terminal.
int no_password(char*, int, int, void*) { return 0; }

EVP_PKEY* check(EVP_PKEY* key, const char* what) {
    if (!key) throw Error(ErrorKind::internal, std::string("OpenSSL: cannot ") + what);
    return key;
}

PublicKey raw_public(EVP_PKEY* key) {
    PublicKey out{};
    size_t len = out.size();
    if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
        len != out.size())
        throw Error(ErrorKind::internal, "OpenSSL: cannot read the Ed25519 public key");
    return out;
}

} // namespace

KeyPaths key_paths(const stdfs::path& dir) {
    return {dir / "audit.key", dir / "audit-sign.key", dir / "audit-sign.pub"};
}

bool audit_keys_exist(const stdfs::path& dir) { return stdfs::exists(key_paths(dir).mac_key); }

void create_audit_keys(const stdfs::path& dir) {
    const KeyPaths paths = key_paths(dir);
    for (const auto& p : {paths.mac_key, paths.signing_key, paths.public_key})
        if (stdfs::exists(p))
            throw Error(ErrorKind::conflict, "audit key " + p.string() + " already exists",
                        "cairn never replaces an audit key");
    // Signing key first: the MAC key's presence is what marks the set complete.
    EVP_PKEY* key = check(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), "generate an Ed25519 key");
    std::array<std::byte, 32> seed{};
    size_t len = seed.size();
    const bool ok = EVP_PKEY_get_raw_private_key(key, reinterpret_cast<unsigned char*>(seed.data()), &len) == 1;
    PublicKey pub = raw_public(key);
    EVP_PKEY_free(key);
    try {
        if (!ok || len != seed.size()) throw Error(ErrorKind::internal, "OpenSSL: cannot read the Ed25519 key");
        write_key_file(paths.signing_key, k_sign_header, seed, k_private);
        write_key_file(paths.public_key, k_pub_header, pub, k_public);
        OPENSSL_cleanse(seed.data(), seed.size());
        crypto::SecretKey mac = crypto::SecretKey::random();
        write_key_file(paths.mac_key, k_mac_header, mac.bytes(), k_private);
    } catch (...) {
        OPENSSL_cleanse(seed.data(), seed.size());
        throw;
    }
    fs::sync_dir(dir);
}

crypto::SecretKey load_mac_key(const stdfs::path& dir) {
    const stdfs::path path = key_paths(dir).mac_key;
    if (!stdfs::exists(path))
        throw Error(ErrorKind::integrity, "audit key " + path.string() + " is missing",
                    "restore it from a backup (only 'cairn init' creates audit keys); without it the audit trail "
                    "cannot be extended or verified");
    fs::require_private_file(path, "audit key");
    auto bytes = parse_key_file(path, k_mac_header, crypto::SecretKey::k_size);
    crypto::SecretKey key = crypto::SecretKey::from_bytes(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return key;
}

Signer::Signer(const stdfs::path& dir) {
    const stdfs::path path = key_paths(dir).signing_key;
    if (!stdfs::exists(path))
        throw Error(ErrorKind::integrity, "audit signing key " + path.string() + " is missing",
                    "restore it from a backup (only 'cairn init' creates audit keys)");
    fs::require_private_file(path, "audit signing key");
    auto seed = parse_key_file(path, k_sign_header, 32);
    m_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
    OPENSSL_cleanse(seed.data(), seed.size());
    check(m_key, "load the Ed25519 signing key");
    m_public = raw_public(m_key);
}

std::unique_ptr<Signer> Signer::from_private_pem(const stdfs::path& pem_file) {
    if (!stdfs::exists(pem_file))
        throw Error(ErrorKind::permission, "signing key " + pem_file.string() + " does not exist",
                    "set CAIRN_SIGNING_KEY to your Ed25519 private key (openssl genpkey -algorithm ed25519)");
    fs::require_private_file(pem_file, "signing key");
    Wiped pem{fs::read_file(pem_file)};
    BIO* bio = BIO_new_mem_buf(pem.text.data(), static_cast<int>(pem.text.size()));
    EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, no_password, nullptr) : nullptr;
    BIO_free(bio);
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(key);
        throw Error(ErrorKind::usage, "signing key " + pem_file.string() + " is not an unencrypted Ed25519 private key in PEM",
                    "make one with: openssl genpkey -algorithm ed25519 -out FILE");
    }
    std::unique_ptr<Signer> s(new Signer());
    s->m_key = key;
    s->m_public = raw_public(key);
    return s;
}

Signer::~Signer() { EVP_PKEY_free(m_key); }

Signature Signer::sign(std::span<const std::byte> message) const {
    Signature sig{};
    size_t len = sig.size();
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, m_key) == 1 &&
                    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                                   reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || len != sig.size()) throw Error(ErrorKind::internal, "OpenSSL: Ed25519 signing failed");
    return sig;
}

void write_public_key(const stdfs::path& dir, const PublicKey& key) {
    write_key_file(key_paths(dir).public_key, k_pub_header, key, k_public);
}

PublicKey load_public_key(const stdfs::path& dir) {
    auto bytes = parse_key_file(key_paths(dir).public_key, k_pub_header, 32);
    PublicKey out{};
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

Verifier::Verifier(const PublicKey& key)
    : m_key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                                        key.size())) {}

Verifier::~Verifier() { EVP_PKEY_free(m_key); }

bool Verifier::verify(std::span<const std::byte> message, std::span<const std::byte> signature) const {
    if (!m_key) return false;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, m_key) == 1 &&
                    EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

bool verify_signature(const PublicKey& key, std::span<const std::byte> message,
                      std::span<const std::byte> signature) {
    return Verifier(key).verify(message, signature);
}

std::string fingerprint(const PublicKey& key) {
    crypto::Sha256 h;
    h.update(key);
    return "SHA256:" + h.finish_hex();
}

PublicKey public_key_from_pem(std::string_view pem, const std::string& what) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, no_password, nullptr) : nullptr;
    BIO_free(bio);
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(key);
        throw Error(ErrorKind::usage, what + " is not an Ed25519 public key in PEM",
                    "make the pair with: openssl genpkey -algorithm ed25519 -out KEY; openssl pkey -in KEY -pubout -out KEY.pub");
    }
    try {
        PublicKey out = raw_public(key);
        EVP_PKEY_free(key);
        return out;
    } catch (...) {
        EVP_PKEY_free(key);
        throw;
    }
}

std::string public_key_hex(const PublicKey& key) { return to_hex(key); }

PublicKey public_key_from_hex(std::string_view hex) {
    PublicKey out{};
    if (hex.size() != out.size() * 2 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
        throw Error(ErrorKind::integrity, "a signing key in the catalog is not 64 hex digits");
    const auto bytes = from_hex(hex);
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

std::string public_key_pem(const PublicKey& key) {
    EVP_PKEY* pkey = check(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                       reinterpret_cast<const unsigned char*>(key.data()), key.size()),
                           "load the Ed25519 public key");
    BIO* bio = BIO_new(BIO_s_mem());
    std::string out;
    if (bio && PEM_write_bio_PUBKEY(bio, pkey) == 1) {
        char* data = nullptr;
        long n = BIO_get_mem_data(bio, &data);
        out.assign(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    if (out.empty()) throw Error(ErrorKind::internal, "OpenSSL: cannot encode the public key");
    return out;
}

} // namespace cairn::audit
