#pragma once
// Recomputes the audit chain and reports the first bad position.
#include "core/audit/checkpoint.hpp"
#include "core/catalog/catalog.hpp"

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cairn::audit {

enum class Problem {
    none,
    deleted,          // a gap in seq: events removed
    edited,           // an event's fields no longer match its (intact) chain value
    inserted,         // an extra event sits at this position; the original follows later
    reordered,        // events swapped positions
    chain_mismatch,   // the chain value is wrong (forged, replaced, or the last event edited)
    bad_anchor,       // a prune anchor with an invalid signature
    truncated,        // fewer events than the checkpoint says
    head_mismatch,    // the chain at the checkpoint's position differs from its head
    bad_signature,    // the checkpoint's signature or key is not the instance's
    wrong_instance,   // the checkpoint belongs to another instance
    artifact_mismatch, // an artifact row differs from its seal (core/artifact/seal.hpp)
    target_index_mismatch, // audit_target differs from the events' targets (core/audit/target_index.hpp)
    instance_replaced, // the instance at this path is not the one this host recorded (wiped and re-created)
    keys_replaced,    // the audit signing key is not the one recorded or that signed a published checkpoint
    unmatched_redaction, // an event's text was redacted but no purge.shred event covers it
    unsigned_event,   // an instance that signs its events holds one without a signature
    wrong_signer,     // a member's signature on an event in another's name, after revocation, or a grant by a non-admin
};

const char* problem_name(Problem p);

struct VerifyReport {
    int64_t events = 0;                 // events checked
    int64_t first_seq = 0, last_seq = 0;
    std::optional<int64_t> anchor_seq;  // verification started after this pruned seq
    Problem problem = Problem::none;
    std::optional<int64_t> bad_seq;     // the first bad position
    std::string message;
    bool checkpoint_checked = false;
    std::optional<int64_t> checkpoint_count;
    std::string note;                   // e.g. checkpoint older than the pruned range
    std::optional<int64_t> artifacts_checked;  // artifacts holding a data key, checked against their seals
    int64_t artifacts_unsealed = 0;            // saved before seals, not yet sealed (read-only verify)
    // How audit_target differs from the events' targets ("" if it does not),
    // found on verify's read of the log; not a failure until the caller
    // applies it (artifact::verify_rows), after the anchors.
    std::string target_index_problem;

    bool ok() const { return problem == Problem::none; }
};

// How verify() spreads its work. The defaults suit the CLI; tests use small
// batches and a set number of workers to exercise the parallel path.
struct VerifyTuning {
    // Threads hashing batches while the calling thread reads the log:
    // nullopt for one per core, up to 4 (none on a single core); 0 to do
    // everything on the calling thread. A log that fits in one batch never
    // starts any.
    std::optional<unsigned> workers;
    size_t batch_events = 4096;
};

// Verifies the whole chain (from the newest prune anchor, if any) on one
// read snapshot, then, if given, the checkpoint against it. The report does
// not depend on `tuning`.
VerifyReport verify(catalog::Catalog& catalog, const Checkpoint* checkpoint = nullptr, const VerifyTuning& tuning = {});

// Checks `cp` against a log that verify() found intact (`r` is its report),
// as verify(catalog, &cp) would: looks up the chain value at cp.count (one
// row) instead of rescanning. Sets r's problem on failure.
void check_checkpoint(catalog::Catalog& catalog, const Checkpoint& cp, VerifyReport& r);

nlohmann::json to_json(const VerifyReport& r);

} // namespace cairn::audit
