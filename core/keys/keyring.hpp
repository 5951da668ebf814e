#pragma once
// Envelope keys (issue 3). Every artifact's data key is wrapped by the
// instance key; the instance key lives in a 0600 key file outside the
// instance directory (default $XDG_CONFIG_HOME/cairn/keys/<instance-id>.key,
// overridden by CAIRN_KEY_FILE or `key_file:` in config.yaml).
//
// CONTRACT (implemented in keyring.cpp):
//  - create() writes a new key file (refuses to overwrite), 0600, optionally
//    protected by a passphrase (scrypt; parameters in docs/FORMAT.md).
//  - open() refuses a key file readable by group/others (permission error),
//    takes the passphrase from CAIRN_PASSPHRASE_FILE, else prompts when stdin
//    is a TTY, else fails with a permission error naming the variable.
//  - wrap() works with a write-only key (public key only); unwrap() then
//    fails with a permission error. A wrong key fails with an integrity error.
#include "core/crypto/secret.hpp"
#include "core/keys/passphrase.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::keys {

class KeyRing {
public:
    virtual ~KeyRing() = default;
    // Stable id of the key that wraps new data keys (recorded per artifact).
    virtual std::string key_id() const = 0;
    virtual bool can_unwrap() const = 0;
    // Returns an opaque blob (binary) that unwrap() turns back into the key.
    virtual std::string wrap(const crypto::SecretKey& data_key) const = 0;
    virtual crypto::SecretKey unwrap(std::string_view wrapped) const = 0;
};

std::unique_ptr<KeyRing> create_key_file(const std::filesystem::path& path,
                                         std::optional<std::string_view> passphrase);
std::unique_ptr<KeyRing> open_key_file(const std::filesystem::path& path);

// Where the key of instance `instance_id` lives when nothing says otherwise.
std::filesystem::path default_key_path(const std::string& instance_id);

// Key id of an instance key: the first 16 hex characters of
// SHA-256("cairn-key-id-v1\0" || key). Also recorded in every wrapped blob.
std::string key_id_of(const crypto::SecretKey& instance_key);

// A full key ring (wrap and unwrap) for an instance key held in memory,
// e.g. one a member unwrapped with unwrap_as_member() (members.hpp).
std::unique_ptr<KeyRing> keyring_from_instance_key(const crypto::SecretKey& instance_key);

// Opens a full key file (same checks and passphrase rules as
// open_key_file()) and returns the instance key, for granting members and
// rotating. A write-only key file fails with a permission error.
crypto::SecretKey read_instance_key(const std::filesystem::path& path);

// Writes a new full key file holding `instance_key` (0600, refuses to
// overwrite): used by rotation (with a new key) and to change a passphrase.
void write_key_file(const std::filesystem::path& path, const crypto::SecretKey& instance_key,
                    std::optional<std::string_view> passphrase);

// Writes a write-only key file (the instance X25519 public key and key id,
// nothing secret) for the full key file at `full_key_file`. 0600, refuses
// to overwrite. Jobs holding it can save but never load.
void export_write_only_key_file(const std::filesystem::path& full_key_file,
                                const std::filesystem::path& out);

// What a key file is, read without its passphrase (still refuses a file
// readable by group/others). kind is "full", "write-only" or
// "passphrase-protected".
struct KeyFileInfo {
    std::string key_id;
    std::string kind;
    bool can_unwrap = false;
};
KeyFileInfo inspect_key_file(const std::filesystem::path& path);

// A full key file opened for key management: the instance key and, for a
// passphrase-protected file, the passphrase (asked once), so that a
// replacement file keeps the same protection.
struct OpenedKeyFile {
    crypto::SecretKey key;
    std::optional<SecretString> passphrase;
};
OpenedKeyFile open_full_key_file(const std::filesystem::path& path);

// Writes a new full key file for `instance_key` protected like `like` (same
// passphrase, fresh salt and nonce; or no passphrase). 0600, fsynced with
// its directory, refuses to overwrite.
void write_replacement_key_file(const std::filesystem::path& path,
                                const crypto::SecretKey& instance_key, const OpenedKeyFile& like);

// Writes a write-only key file for `instance_key` (0600, refuses to overwrite).
void write_write_only_key_file(const std::filesystem::path& out,
                               const crypto::SecretKey& instance_key);

// Key rotation: unwraps `wrapped` with `from` and wraps the same data key
// with `to`. Throws what from.unwrap() throws.
std::string rewrap(std::string_view wrapped, const KeyRing& from, const KeyRing& to);

// The key id recorded in a wrapped blob (no key needed); integrity error if
// the blob is malformed.
std::string wrapped_key_id(std::string_view wrapped);

// Bytes of a data-key blob that identify it without revealing anything: the
// first 12 bytes of its body, which are public randomness (the GCM nonce of
// type 01, the ephemeral public key of type 02; docs/FORMAT.md). Purge scans
// the catalog's files for them after shredding. "" for other blobs.
constexpr size_t k_needle_bytes = 12;
std::string wrapped_key_needle(std::string_view wrapped);

} // namespace cairn::keys
