#pragma once
// The audit trail's own keys, separate from the data (instance) key:
//  - audit.key       0600  256-bit HMAC-SHA-256 key that chains events
//  - audit-sign.key  0600  Ed25519 private key that signs checkpoints and
//                          prune anchors
//  - audit-sign.pub  0644  the matching public key (hex), for verifiers
// All three live in the .cairn directory beside catalog.db. Every process
// that writes an event (ls, a failed load, a write-only batch job) must be
// able to chain it without the data key, which may be passphrase-protected,
// held elsewhere, or absent; and leaking one key must not give the other.
#include "core/crypto/secret.hpp"

#include <array>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st;

namespace cairn::audit {

struct KeyPaths {
    std::filesystem::path mac_key;
    std::filesystem::path signing_key;
    std::filesystem::path public_key;
};

// The key files of the instance whose .cairn directory is `dir`.
KeyPaths key_paths(const std::filesystem::path& dir);

// Creates the three key files (0600 / 0600 / 0644). Refuses (conflict error)
// when any of them already exists: an audit key is never replaced.
void create_audit_keys(const std::filesystem::path& dir);

// True when the HMAC key file exists.
bool audit_keys_exist(const std::filesystem::path& dir);

// Reads the HMAC key. Throws permission error if the file is readable by
// others or missing, integrity error if it is malformed.
crypto::SecretKey load_mac_key(const std::filesystem::path& dir);

using PublicKey = std::array<std::byte, 32>;
using Signature = std::array<std::byte, 64>;

// Ed25519 signing with the private key from audit-sign.key. The key bytes
// are wiped as soon as OpenSSL holds them.
class Signer {
public:
    explicit Signer(const std::filesystem::path& dir);
    // A member's own Ed25519 private key (PEM "PRIVATE KEY", as `openssl
    // genpkey -algorithm ed25519` writes it), which must be 0600 and not a
    // symlink: permission error otherwise, usage error for another key type.
    static std::unique_ptr<Signer> from_private_pem(const std::filesystem::path& pem_file);
    ~Signer();
    Signer(const Signer&) = delete;
    Signer& operator=(const Signer&) = delete;
    Signature sign(std::span<const std::byte> message) const;
    const PublicKey& public_key() const { return m_public; }

private:
    Signer() = default;
    ::evp_pkey_st* m_key = nullptr;
    PublicKey m_public{};
};

// Writes audit-sign.pub (0644) into `dir` (cairn connect); conflict if it exists.
void write_public_key(const std::filesystem::path& dir, const PublicKey& key);

// Reads audit-sign.pub.
PublicKey load_public_key(const std::filesystem::path& dir);

// An Ed25519 public key loaded once, for checking many signatures (verify
// checks one per event). verify() may run on several threads at once.
class Verifier {
public:
    explicit Verifier(const PublicKey& key);
    ~Verifier();
    Verifier(const Verifier&) = delete;
    Verifier& operator=(const Verifier&) = delete;
    bool verify(std::span<const std::byte> message, std::span<const std::byte> signature) const;

private:
    ::evp_pkey_st* m_key = nullptr;
};

// True when `signature` is a valid Ed25519 signature of `message`.
bool verify_signature(const PublicKey& key, std::span<const std::byte> message,
                      std::span<const std::byte> signature);

// "SHA256:<hex>" of the raw public key: what users compare out of band.
std::string fingerprint(const PublicKey& key);

// A member's Ed25519 public key from PEM (SubjectPublicKeyInfo); usage
// error naming `what` for anything else.
PublicKey public_key_from_pem(std::string_view pem, const std::string& what);

// The raw key as 64 hex digits and back (integrity error when malformed):
// how member.signing_key and grant events store it.
std::string public_key_hex(const PublicKey& key);
PublicKey public_key_from_hex(std::string_view hex);

// The public key as PEM (SubjectPublicKeyInfo), for export.
std::string public_key_pem(const PublicKey& key);

} // namespace cairn::audit
