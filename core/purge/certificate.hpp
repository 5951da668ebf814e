#pragma once
// The deletion certificate of a completed request: where each artifact was,
// how its destruction was verified (storage listing, catalog scrub and byte
// scan, every recorded copy), and what stayed outside cairn's custody.
// docs/SECURITY.md says what it guarantees.
#include "core/catalog/catalog.hpp"
#include "core/instance/actor.hpp"
#include "core/purge/request.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace cairn::purge {

// Built from the request's verified targets; `actor` executed the run.
nlohmann::json make_certificate(catalog::Catalog& catalog, const Actor& actor, const Request& req, int64_t now);

} // namespace cairn::purge
