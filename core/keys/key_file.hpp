#pragma once
// The key file format (docs/FORMAT.md, "Key files"): a small versioned text
// file of "name: value" lines. Internal to core/keys.
#include "core/crypto/secret.hpp"
#include "core/crypto/x25519.hpp"
#include "core/keys/passphrase.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::keys::detail {

enum class KeyFileKind { full, write_only };

struct KeyFile {
    KeyFileKind kind = KeyFileKind::full;
    std::string key_id;
    // kind == full, no passphrase.
    std::optional<crypto::SecretKey> plain_key;
    // kind == full, passphrase-protected: scrypt parameters and
    // nonce(12) || AES-256-GCM(instance key) || tag(16).
    std::optional<ScryptParams> scrypt;
    std::string sealed_key;
    // kind == write_only.
    crypto::X25519Public x25519_public{};
};

// Key id of an instance key: 16 hex chars of SHA-256("cairn-key-id-v1\0" || key).
std::string key_id_of(const crypto::SecretKey& instance_key);

// The instance's X25519 private key, derived from the instance key with
// HKDF-SHA256 (info "cairn-instance-x25519-v1"), so whoever holds the
// instance key can open what write-only key files sealed.
crypto::SecretKey instance_x25519_private(const crypto::SecretKey& instance_key);

// A full key file for `key`; with a passphrase, the key is sealed under scrypt.
KeyFile make_full(const crypto::SecretKey& key, const std::optional<std::string_view>& passphrase);
KeyFile make_write_only(const crypto::SecretKey& key);

std::string encode(const KeyFile& file);
// Throws integrity errors naming `where` for anything malformed.
KeyFile parse(std::string_view text, const std::filesystem::path& where);

// The instance key of a full key file, asking for the passphrase if needed.
// Wrong passphrase: permission error "wrong passphrase for key file X".
crypto::SecretKey instance_key(const KeyFile& file, const std::filesystem::path& where);

// Reads and parses a key file after checking it is private (0600).
KeyFile load(const std::filesystem::path& path);
// Writes a new key file with mode 0600; refuses to overwrite (conflict error).
void store(const std::filesystem::path& path, const KeyFile& file);

} // namespace cairn::keys::detail
