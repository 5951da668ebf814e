#pragma once
// The audit trail: one event per command and per artifact touched, chained
// with HMAC-SHA-256 under the instance's audit key (core/audit/chain.hpp).
// append() must run inside the catalog write transaction of the change it
// records, so nothing happens unlogged; that transaction (BEGIN IMMEDIATE)
// also serialises appends from concurrent processes, so each event is chained
// to the true previous one.
#include "core/catalog/catalog.hpp"
#include "core/instance/actor.hpp"

#include <array>
#include <cstddef>
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
    // The seal of the artifact row this event creates (core/artifact/seal.hpp),
    // chained so the row cannot change afterwards unnoticed. Its targets[0]
    // is that artifact.
    std::optional<std::array<std::byte, 32>> seal{};
};

// Appends one event. Call inside Catalog::write_transaction (if called
// outside one, it opens its own). The audit key is the catalog's sibling
// audit.key; on an empty log a missing key set is created.
void append(catalog::Catalog& catalog, const Actor& actor, const Event& event);

// Appends one event in its own transaction (reads, failures).
void record(catalog::Catalog& catalog, const Actor& actor, const Event& event);

// Redacts every event whose targets include one of `uids`: its
// command_line and details text become NULL and redacted_at = `now`. The
// chain covers their digests, so it still verifies (docs/AUDIT.md). Call
// inside the write transaction that erases the artifacts. Returns how many
// events were redacted now (already redacted ones are not counted).
int64_t redact_events_naming(catalog::Catalog& catalog, const std::vector<std::string>& uids, int64_t now);

// How many redacted events name one of `uids`.
int64_t count_redacted_naming(catalog::Catalog& catalog, const std::vector<std::string>& uids);

// The .cairn directory holding the catalog (and the audit keys).
std::filesystem::path audit_dir(const catalog::Catalog& catalog);

} // namespace cairn::audit
