#pragma once
// Prune anchors: when old events are pruned, the seq and chain value of the
// last pruned event are kept in audit_anchor, signed with the audit signing
// key, so the remaining chain still verifies from that point on.
#include "core/audit/chain.hpp"
#include "core/audit/keys.hpp"
#include "core/catalog/catalog.hpp"

#include <optional>
#include <vector>

namespace cairn::audit {

struct Anchor {
    int64_t seq = 0;      // the last pruned event
    ChainValue chain{};   // its chain value
    int64_t time_ms = 0;  // when the prune ran
    int64_t pruned = 0;   // events removed by that prune
    std::vector<std::byte> signature;
};

// The anchor with the highest seq, if any prune has run.
std::optional<Anchor> latest_anchor(catalog::Catalog& catalog);

// The bytes an anchor's signature covers.
std::vector<std::byte> anchor_message(const Anchor& a);

// True when the anchor's signature is valid under `key`.
bool anchor_signature_ok(const Anchor& a, const PublicKey& key);

} // namespace cairn::audit
