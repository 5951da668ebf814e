#pragma once
// Signed checkpoints: (instance, count, head chain value, time) signed with
// the audit signing key (Ed25519). Kept outside the instance, a checkpoint
// shows a deleted or rewritten tail: verify compares the chain at position
// `count` with `head`.
#include "core/audit/chain.hpp"
#include "core/audit/keys.hpp"
#include "core/catalog/catalog.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cairn::audit {

inline constexpr std::string_view k_checkpoint_format = "cairn-audit-checkpoint-v1";

struct Checkpoint {
    std::string instance_id;
    int64_t count = 0;   // seq of the head event = events ever appended (pruned included)
    ChainValue head{};   // chain value of event `count`
    int64_t time_ms = 0;
    PublicKey public_key{};
    Signature signature{};
};

// The instance id recorded in the catalog at init ("" if none).
std::string catalog_instance_id(catalog::Catalog& catalog, catalog::Read read = catalog::Read::cached);

// Signs the current head. Throws not_found if the log is empty. Callers
// verify the chain first so a tampered log is never signed.
Checkpoint make_checkpoint(catalog::Catalog& catalog);

// The bytes the signature covers.
std::vector<std::byte> checkpoint_message(const Checkpoint& c);
bool checkpoint_signature_ok(const Checkpoint& c);

nlohmann::json to_json(const Checkpoint& c);
// Throws usage error when the JSON is not a checkpoint.
Checkpoint checkpoint_from_json(const nlohmann::json& j);

} // namespace cairn::audit
