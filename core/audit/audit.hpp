#pragma once
// The audit trail (issue 4 extends this: chaining, checkpoints, verify).
// append() must run inside the catalog write transaction of the change it
// records, so nothing happens unlogged.
#include "core/catalog/catalog.hpp"
#include "core/instance/actor.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cairn::audit {

struct Event {
    std::string action;               // "save", "load", "ls", "purge.run", ...
    std::vector<std::string> targets; // artifact uids
    std::string result = "ok";        // "ok", "denied", "error"
    std::optional<int> error_code;    // exit code when result != ok
    nlohmann::json details = nlohmann::json::object();
};

// Appends one event. Call inside Catalog::write_transaction.
void append(catalog::Catalog& catalog, const Actor& actor, const Event& event);

// Appends one event in its own transaction (reads, failures).
void record(catalog::Catalog& catalog, const Actor& actor, const Event& event);

} // namespace cairn::audit
