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
                                         const std::optional<std::string>& passphrase);
std::unique_ptr<KeyRing> open_key_file(const std::filesystem::path& path);

// Where the key of instance `instance_id` lives when nothing says otherwise.
std::filesystem::path default_key_path(const std::string& instance_id);

} // namespace cairn::keys
