#pragma once
// Sealed artifact rows (docs/SECURITY.md, "Catalog rows"). Whoever can write
// catalog.db, or holds a write-only key, may add versions; an existing
// artifact's key, version, content hash, size, object or wrapped data key
// must not change unnoticed. Two checks do that:
//  - the seal: SHA-256 of the row's identity fields. The event that created
//    the artifact carries it in a chained column, so changing the row means
//    rewriting the audit trail from that event on (which the chain MAC,
//    checkpoints and per-host heads reveal);
//  - the wrap MAC: HMAC-SHA-256 under the audit key over (uid, key id,
//    wrapped key), renewed by key rotation, which rewraps every data key.
// `load` checks its artifact (exit 4 on a mismatch); `audit verify` checks
// every artifact that holds a data key.
#include "core/audit/seal_events.hpp"
#include "core/audit/verify.hpp"
#include "core/catalog/artifacts.hpp"
#include "core/instance/actor.hpp"

#include <array>
#include <cstddef>
#include <string>

namespace cairn::artifact {

inline constexpr std::string_view k_seal_domain = "cairn.artifact.seal.v1";
inline constexpr std::string_view k_wrap_mac_domain = "cairn.artifact.wrap.v1";

// SHA-256 of (uid, key, version, kind, content hash, size, files, object
// name, stored size, created_at) in the audit chain's canonical encoding.
audit::Seal row_seal(const catalog::ArtifactRow& row);

// HMAC-SHA-256 under the audit key over (uid, key id, wrapped key).
std::array<std::byte, 32> wrap_mac(catalog::Catalog& catalog, const catalog::ArtifactRow& row);

// Stores wrap_mac(row) for the row. Call in the transaction that writes the
// wrapped key.
void stamp_wrap_mac(catalog::Catalog& catalog, const catalog::ArtifactRow& row);

// Throws an integrity error (exit 4) unless the row's wrapped key (or key
// reference) matches its MAC: before rewrapping or moving a key, which would
// launder a replaced one into a valid one. `hint` says what was left undone.
void require_wrap_mac(catalog::Catalog& catalog, const catalog::ArtifactRow& row, const std::string& hint);

// Throws an integrity error (exit 4) naming what differs unless the row's
// wrapped key matches its MAC and the row matches every event that sealed
// it (and at least one did).
void require_sealed(catalog::Catalog& catalog, const catalog::ArtifactRow& row);

// Artifacts saved before seals existed get an `artifact.seal` event and a
// wrap MAC, once, from the first command that opens the instance for
// writing after the upgrade. Only rows that no event in the log seals yet
// are sealed (found by scanning the log, not audit_target). Returns how
// many.
int64_t seal_pending_artifacts(catalog::Catalog& catalog, const Actor& actor);

// audit verify: every artifact that holds a data key against its seals and
// wrap MAC. Run after the chain (and audit_target) verified.
struct SealReport {
    int64_t artifacts = 0;
    int64_t unsealed = 0; // saved before seals; sealed by the next command that writes
    std::string problem;  // "" when all hold
};
SealReport check_all_seals(catalog::Catalog& catalog);

// The last step of audit verify, for the rows the chain does not cover,
// once the chain and anchors held: audit_target against the events
// (Problem::target_index_mismatch), then check_all_seals()
// (Problem::artifact_mismatch).
void verify_rows(catalog::Catalog& catalog, audit::VerifyReport& report);

} // namespace cairn::artifact
