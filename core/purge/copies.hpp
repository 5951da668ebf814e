#pragma once
// Destroys the copies load made (working copies, cache entries) of
// artifacts purge has started to destroy. Purge runs as one account on one
// host, but people load as themselves, elsewhere: so every cairn command
// destroys the doomed copies recorded for its own account on its own host,
// and records each in the audit trail. A request is certified only once all
// of them are confirmed gone (core/purge/execute.hpp).
#include "core/catalog/copies.hpp"
#include "core/instance/actor.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::purge {

struct SweepResult {
    int destroyed = 0;                 // copies removed or found absent
    std::vector<std::string> failures; // "path: why", retried by the next command
};

// Destroys the doomed copies of `actor`'s account on `actor`'s host. Only
// paths shaped like cairn's own (…/work/<artifact uid>, …/objects/xx/<hex>)
// and owned by this process's user are removed, so an edited catalog cannot
// make a command delete anything else. Never throws for a copy: failures are
// returned and retried.
SweepResult destroy_own_copies(catalog::Catalog& catalog, const Actor& actor, int64_t now);

// Why a recorded path is not one cairn would have made for this copy, or "".
std::string refuse_reason(const catalog::LocalCopy& copy);

} // namespace cairn::purge
