#pragma once
// The events that seal artifact rows (core/artifact/seal.hpp): `save` when
// it creates an artifact, `artifact.seal` for artifacts saved before seals
// existed and when a prune carries a seal past the pruned range. Each holds
// the row's seal in the chained `seal` column and the artifact's uid as its
// first target.
#include "core/catalog/catalog.hpp"

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <vector>

namespace cairn::audit {

using Seal = std::array<std::byte, 32>;

struct SealedEvent {
    int64_t seq = 0;
    std::string action;
    Seal seal{};
};

// The events that sealed `uid`, found through audit_target, each checked
// against its chain MAC (integrity error naming the seq when one fails).
std::vector<SealedEvent> sealed_events_of(catalog::Catalog& catalog, const std::string& uid);

// Every sealing event, by the uid it sealed: a scan of the log itself, not
// of audit_target (which the chain does not cover). Callers verify the
// chain first.
std::map<std::string, std::vector<SealedEvent>> all_sealed_events(catalog::Catalog& catalog);

// The seals to carry past a prune that removes events up to `last_pruned`:
// for each artifact that still holds a data key and whose sealing events all
// lie in that range, its uid and newest recorded seal (the recorded value,
// not one recomputed from a row that may have been edited since).
std::vector<std::pair<std::string, Seal>> seals_to_carry(catalog::Catalog& catalog, int64_t last_pruned);

// True when event `seq`'s stored chain value is the MAC of its fields and
// of the stored chain value before it (or the prune anchor's, or genesis).
bool event_authentic(catalog::Catalog& catalog, int64_t seq);


} // namespace cairn::audit
