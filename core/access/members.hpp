#pragma once
// Members: people granted the instance key wrapped for their own public key
// (RSA >= 2048 bits or X25519). Granting and revoking are admin actions;
// revoking rotates the instance key so the revoked key opens nothing saved
// afterwards.
#include "core/access/rotation.hpp"
#include "core/catalog/catalog.hpp"
#include "core/keys/access.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cairn {
class Instance;
}

namespace cairn::access {

struct MemberRow {
    int64_t id = 0;
    std::string name;
    std::string public_key; // PEM
    std::string fingerprint;
    keys::Role role = keys::Role::reader;
    std::string wrapped_instance_key; // empty once revoked
    std::string key_id;
    int64_t created_at = 0;
    std::optional<int64_t> revoked_at;
    std::string db_login; // PostgreSQL: the login access grant --db-login made a member of its role
    std::string signing_key;       // hex Ed25519 public key that signs their events; "" = none
    std::string wrapped_audit_key; // the audit key wrapped for public_key; "" for older grants
};

std::vector<MemberRow> list_members(catalog::Catalog& catalog, bool include_revoked);
std::optional<MemberRow> find_member(catalog::Catalog& catalog, const std::string& name);
// Members (active first, then most recently revoked) whose key has this fingerprint.
std::vector<MemberRow> find_by_fingerprint(catalog::Catalog& catalog,
                                           const std::string& fingerprint);

// Member names: 1..64 characters of [A-Za-z0-9._@-]. Usage error otherwise.
void validate_member_name(const std::string& name);

struct GrantOptions {
    std::string name;
    std::filesystem::path public_key_file; // PEM PUBLIC KEY
    keys::Role role = keys::Role::reader;
    // PostgreSQL only: the member's database login, made a member of the
    // role's database role (core/catalog/db_roles.hpp) in the same
    // transaction; revoke takes it out again.
    std::string db_login = {};
    // The member's Ed25519 public key (PEM): their events are then signed
    // with the private half (CAIRN_SIGNING_KEY), docs/AUDIT.md.
    std::filesystem::path signing_key_file = {};
};

// Wraps the instance key for the member's public key and records the grant
// with its audit event in one transaction. Usage error (exit 2) for
// unsupported keys and RSA keys under 2048 bits; conflict if the name or
// the key already belongs to an active member. A revoked name may be
// granted again.
MemberRow grant(Instance& instance, const GrantOptions& options);

struct ExposedArtifact {
    std::string uid;
    std::string key;
    int version = 0;
};

struct RevokeResult {
    MemberRow member;
    RotateResult rotation;
    int64_t revoked_at = 0;
    // What the member could open until now: every artifact still in the
    // catalog that was saved before the revocation.
    std::vector<ExposedArtifact> exposed;
};

// Revokes a member: in one transaction, drops their grant, rotates the
// instance key (rewrapping every data key and re-granting the remaining
// members) and records the event. Not found (exit 3) if no such active member.
RevokeResult revoke(Instance& instance, const std::string& name);

} // namespace cairn::access
