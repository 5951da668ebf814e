#pragma once
// What a member needs to append audit events on a machine that holds no
// audit key files (one set up with 'cairn connect'): the instance's HMAC
// audit key, wrapped for the member's public key in their grant, and their
// own Ed25519 key that signs their events (docs/AUDIT.md, Member signatures).
#include "core/access/members.hpp"
#include "core/catalog/catalog.hpp"
#include "core/crypto/secret.hpp"
#include "core/keys/access.hpp"

#include <filesystem>
#include <memory>
#include <optional>

namespace cairn::audit {
class Signer;
}

namespace cairn::access {

// $CAIRN_SIGNING_KEY if set and non-empty.
std::optional<std::filesystem::path> signing_key_from_env();

// The audit key: `dir`/audit.key where it exists, else the one in the
// acting member's grant. Permission error when neither is available.
crypto::SecretKey audit_key(catalog::Catalog& catalog, const std::filesystem::path& dir, const keys::Principal& who);

// Where `dir` holds no audit.key and `who` is a member, installs the audit
// key of their grant for this process (audit::install_mac_key). Permission
// error when the grant carries none (granted by an older version).
void install_member_audit_key(catalog::Catalog& catalog, const std::filesystem::path& dir, const keys::Principal& who);

// The key $CAIRN_SIGNING_KEY names, which must be the signing key
// registered for the acting member (permission error otherwise, and when
// the process does not act as a member); nullptr when the variable is unset.
std::shared_ptr<const audit::Signer> member_signer(catalog::Catalog& catalog, const keys::Principal& who);

} // namespace cairn::access
