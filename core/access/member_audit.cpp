#include "core/access/member_audit.hpp"

#include "core/access/identity.hpp"
#include "core/audit/chain.hpp"
#include "core/audit/keys.hpp"
#include "core/keys/members.hpp"
#include "core/util/error.hpp"

#include <cstdlib>

namespace cairn::access {

namespace stdfs = std::filesystem;

namespace {

MemberRow acting_member(catalog::Catalog& catalog, const keys::Principal& who) {
    auto m = find_member(catalog, who.name);
    if (!m || m->revoked_at || m->fingerprint != who.id)
        throw Error(ErrorKind::permission, "member '" + who.name + "' has no active grant in this instance",
                    "ask an admin to grant access again");
    return *m;
}

} // namespace

std::optional<stdfs::path> signing_key_from_env() {
    const char* env = std::getenv("CAIRN_SIGNING_KEY");
    if (!env || !*env) return std::nullopt;
    return stdfs::path(env);
}

crypto::SecretKey audit_key(catalog::Catalog& catalog, const stdfs::path& dir, const keys::Principal& who) {
    if (audit::audit_keys_exist(dir)) return audit::load_mac_key(dir);
    if (who.kind != keys::Principal::Kind::member)
        throw Error(ErrorKind::permission, "this machine holds no audit key (" + (dir / "audit.key").string() + ")",
                    "act as a member (CAIRN_IDENTITY), whose grant carries the audit key");
    const MemberRow m = acting_member(catalog, who);
    if (m.wrapped_audit_key.empty())
        throw Error(ErrorKind::permission,
                    "the grant of member '" + m.name + "' carries no audit key, and this machine has none",
                    "ask an admin to revoke and grant the member again, or run cairn where 'cairn init' ran");
    const stdfs::path identity = identity_from_env().value_or(stdfs::path());
    return keys::unwrap_as_member(m.wrapped_audit_key, identity);
}

void install_member_audit_key(catalog::Catalog& catalog, const stdfs::path& dir, const keys::Principal& who) {
    if (audit::audit_keys_exist(dir) || who.kind != keys::Principal::Kind::member) return;
    audit::install_mac_key(dir, audit_key(catalog, dir, who));
}

std::shared_ptr<const audit::Signer> member_signer(catalog::Catalog& catalog, const keys::Principal& who) {
    const auto file = signing_key_from_env();
    if (!file) return nullptr;
    if (who.kind != keys::Principal::Kind::member)
        throw Error(ErrorKind::permission, "CAIRN_SIGNING_KEY is set, but this process does not act as a member",
                    "set CAIRN_IDENTITY to your member private key too, or unset CAIRN_SIGNING_KEY");
    std::shared_ptr<const audit::Signer> signer = audit::Signer::from_private_pem(*file);
    const MemberRow m = acting_member(catalog, who);
    const std::string hex = audit::public_key_hex(signer->public_key());
    if (m.signing_key != hex)
        throw Error(ErrorKind::permission,
                    "the key in CAIRN_SIGNING_KEY (" + audit::fingerprint(signer->public_key()) +
                        ") is not the signing key registered for member '" + m.name + "'" +
                        (m.signing_key.empty() ? " (none is)" : ""),
                    "use the key given to 'cairn access grant --signing-key', or ask an admin to grant it");
    return signer;
}

} // namespace cairn::access
