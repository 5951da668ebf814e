#pragma once
// Reading the audit trail: filters, listing and JSON Lines export.
#include "core/catalog/catalog.hpp"

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

namespace cairn::audit {

struct Filter {
    std::optional<int64_t> since_ms{};  // time_ms >= since
    std::optional<int64_t> until_ms{};  // time_ms <  until
    std::string actor{};                // exact identity or OS user
    std::string action{};               // exact, or a prefix before '.' ("purge" matches "purge.run")
    std::string artifact{};             // uid among the targets
    std::string result{};               // ok | denied | error
    std::optional<int64_t> limit{};     // the newest N matches (still printed oldest first)
    std::optional<int64_t> through_seq{}; // seq <= this: a fixed snapshot of the trail
};

struct StoredEvent {
    int64_t seq = 0;
    int64_t time_ms = 0;
    std::string actor, os_user;
    std::string credential; // "" for events older than the credential column
    int64_t os_uid = -1;
    std::string host;
    int64_t pid = 0;
    std::string command_line, action; // command_line empty once redacted
    nlohmann::json targets;
    std::string result;
    std::optional<int64_t> error_code;
    nlohmann::json details;           // null once redacted
    std::string chain_hex;
    std::optional<int64_t> redacted_at; // when purge redacted command_line and details
    // On an instance that signs its events (docs/AUDIT.md, Member
    // signatures): the signing key's fingerprint and the signature (hex);
    // "" when unsigned.
    std::string signer, signature_hex;
};

// Calls `fn` for each matching event in seq order. Throws usage error on a
// bad result value or a negative limit.
void for_each_event(catalog::Catalog& catalog, const Filter& filter,
                    const std::function<void(const StoredEvent&)>& fn);

// How many events for_each_event would give.
int64_t count_events(catalog::Catalog& catalog, const Filter& filter);

// The newest event's seq (0 for an empty trail).
int64_t last_seq(catalog::Catalog& catalog);

std::vector<StoredEvent> list_events(catalog::Catalog& catalog, const Filter& filter);

nlohmann::json to_json(const StoredEvent& e);

// The current key of each target uid that is a live (active) artifact, as
// {uid: key}, read at display time: events store uids only, so that purge
// can erase a name without touching the trail.
nlohmann::json current_keys(catalog::Catalog& catalog, const nlohmann::json& targets);

// Writes matching events as JSON Lines (one compact object per line);
// returns how many.
int64_t export_jsonl(catalog::Catalog& catalog, const Filter& filter, std::ostream& out);

} // namespace cairn::audit
