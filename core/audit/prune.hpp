#pragma once
// Pruning old events. Events younger than 12 months are never pruned. Only
// a prefix of the chain is removed (every event up to the first one at or
// after `before`), and a signed anchor keeps the rest verifiable.
#include "core/catalog/catalog.hpp"
#include "core/instance/actor.hpp"

#include <cstdint>

namespace cairn::audit {

inline constexpr int64_t k_min_retention_days = 365;

struct PruneResult {
    int64_t pruned = 0;      // events removed
    int64_t anchor_seq = 0;  // last removed seq (0 when nothing was removed)
};

// What prune() would do, without changing anything (same refusal rules).
PruneResult plan_prune(catalog::Catalog& catalog, int64_t before_ms, int64_t now_ms);

// Removes events older than `before_ms`, writes the anchor and records an
// "audit.prune" event, all in one transaction. Throws usage error when
// `before_ms` is later than now - 365 days.
PruneResult prune(catalog::Catalog& catalog, const Actor& actor, int64_t before_ms, int64_t now_ms);

} // namespace cairn::audit
