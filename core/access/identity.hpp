#pragma once
// Which key this process acts with, and the instance key it unlocks.
//
// A process acts either with a key file (CAIRN_KEY_FILE, config key_file or
// the default path; full or write-only) or, when CAIRN_IDENTITY names a
// member's private key (0600 PEM), as that member: the member row whose
// public key matches is found by fingerprint and its grant unwrapped.
//
// The catalog records the id of the current instance key (instance_info
// 'key_id'). A key file holding another key is refused with a permission
// error, except that an interrupted rotation is finished first: rotation
// leaves the new key in pending_key_path() until its transaction commits,
// so a key file that is behind the catalog with a pending file that holds
// the catalog's key is rolled forward by renaming it into place.
#include "core/catalog/catalog.hpp"
#include "core/keys/access.hpp"
#include "core/keys/keyring.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace cairn::access {

// $CAIRN_IDENTITY if set and non-empty.
std::optional<std::filesystem::path> identity_from_env();

// The id of the instance's current key; nullopt for catalogs that never
// recorded one (no check is possible then).
std::optional<std::string> current_key_id(catalog::Catalog& catalog);
// Call inside a write transaction.
void set_current_key_id(catalog::Catalog& catalog, const std::string& key_id);

// Where rotation writes the new key file before its transaction commits.
std::filesystem::path pending_key_path(const std::filesystem::path& key_file,
                                       const std::string& key_id);

// Renames a pending key file into place if the catalog already committed
// to its key (see above). Returns true if it did.
bool finish_interrupted_rotation(catalog::Catalog& catalog, const std::filesystem::path& key_file);

// Who this process is. Needs no passphrase: a key file is only inspected.
// Permission errors: no key file, unsafe mode, unknown or revoked identity
// (naming the member).
keys::Principal find_principal(catalog::Catalog& catalog, const std::filesystem::path& key_file);

// The key ring of `who` (found by find_principal()). Permission error for a
// key file that holds an outdated key.
std::unique_ptr<keys::KeyRing> open_keyring(catalog::Catalog& catalog,
                                            const std::filesystem::path& key_file,
                                            const keys::Principal& who);

// The instance key itself, for key management (grant, rotate, export): from
// the full key file (with its passphrase, so a replacement keeps it) or the
// member's grant. Permission error for a write-only key file.
keys::OpenedKeyFile open_instance_key(catalog::Catalog& catalog,
                                      const std::filesystem::path& key_file,
                                      const keys::Principal& who);

} // namespace cairn::access
