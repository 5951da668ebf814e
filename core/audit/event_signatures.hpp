#pragma once
// Per-member signatures of audit events (docs/AUDIT.md, "Member
// signatures"). On an instance that signs its events (instance_info
// 'audit_signed_from': every PostgreSQL catalog), each event from that seq
// on carries the fingerprint of the Ed25519 key that signed it and a
// signature over (instance id, seq, chain value). The chain value covers
// every field of the event and all before it, so a signature vouches for
// the event and its place in the trail.
//
// Who may sign: the instance's own key (audit-sign.key, on the machines
// that hold it), or a member's key registered by the access.grant event
// that granted them (details.signing_key). A member-signed event must name
// that member as its credential, must come before the member's revocation,
// and only an admin (or the instance key) may sign a grant or revocation.
// So a member holding the shared HMAC key can append events, but none that
// another member or the instance key would have had to sign.
#include "core/audit/chain.hpp"
#include "core/audit/keys.hpp"
#include "core/audit/verify.hpp"
#include "core/catalog/catalog.hpp"
#include "core/instance/actor.hpp"
#include "core/util/error.hpp"

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::audit {

inline constexpr std::string_view k_signed_from_setting = "audit_signed_from";
inline constexpr std::string_view k_event_signature_domain = "cairn.audit.event-signature.v1";

// The first seq whose events must be signed; nullopt when this instance's
// events are not signed (SQLite catalogs made by init).
std::optional<int64_t> signed_from(catalog::Catalog& catalog, catalog::Read read = catalog::Read::cached);

// Makes events from `seq` on signed (init and catalog migrate, inside their
// write transaction).
void set_signed_from(catalog::Catalog& catalog, int64_t seq);

// Records the instance's audit public key in instance_info
// ('audit_public_key', hex) unless it is there: what 'cairn connect' gives
// a new machine to verify checkpoints and signatures with.
void record_public_key(catalog::Catalog& catalog, const PublicKey& key);
inline constexpr std::string_view k_public_key_setting = "audit_public_key";

// The bytes a signature covers.
std::string signature_message(std::string_view instance_id, int64_t seq, const ChainValue& chain);

// The instance's own signer, from audit-sign.key beside the catalog;
// nullptr where that file is absent (a machine set up by 'cairn connect').
// Loaded once per directory.
const Signer* instance_signer(const std::filesystem::path& dir);

struct EventSignature {
    std::string signer; // fingerprint of the signing key ("SHA256:<hex>")
    Signature signature{};
};

// The permission error for a process that has no key to sign with.
Error no_signer_error();

// Signs the event at `seq` with the actor's own key (Actor::signer) if it
// has one, else the instance's. Permission error when this machine holds
// neither.
EventSignature sign_event(catalog::Catalog& catalog, const Actor& actor, int64_t seq, const ChainValue& chain);

// The signing keys of active members, as audit prune records them so that
// verify still knows the keys whose grant events it removed:
// [{member, role, signing_key}].
nlohmann::json registered_signing_keys(catalog::Catalog& catalog);

struct SignatureFailure {
    Problem problem = Problem::none;
    int64_t seq = 0;
    std::string message;
};

// Checks the signature of every event from signed_from() on, in one pass
// over the log (call after the chain verified, inside the same read
// snapshot). `public_key` is the instance's audit signing key. nullopt
// when all hold or the instance does not sign its events.
std::optional<SignatureFailure> check_event_signatures(catalog::Catalog& catalog, const PublicKey& public_key);

} // namespace cairn::audit
