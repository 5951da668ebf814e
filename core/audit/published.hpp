#pragma once
// Signed checkpoints published to storage, write-once: an anchor of the
// audit trail that lives with the data, outside the instance directory.
// Each checkpoint (core/audit/checkpoint.hpp) is stored in every storage
// location of the instance as
//   audit/checkpoints/<count, 20 digits>-<first 16 hex of SHA-256 of the JSON>.json
// with put_if_absent(), so a later one never replaces it. `audit verify`
// reads them all back and checks each against the trail. See docs/AUDIT.md,
// "Anchors".
#include "core/audit/checkpoint.hpp"
#include "core/audit/verify.hpp"
#include "core/catalog/catalog.hpp"
#include "core/storage/backend.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::audit {

inline constexpr std::string_view k_published_prefix = "audit/checkpoints/";
// Object Lock retention (GOVERNANCE) of a published checkpoint on a bucket with Object Lock.
inline constexpr int k_published_retain_days = 400;
// A command that opens the instance for writing publishes when the last
// publish is older than this.
inline constexpr int64_t k_publish_interval_ms = 24LL * 3600 * 1000;
// instance_info: when a checkpoint was last published (ms since the epoch).
inline constexpr std::string_view k_published_setting = "audit_published_ms";

struct AnchorLocation {
    std::string url;
    storage::Backend* backend = nullptr;
    bool object_lock = false; // the probe at init found Object Lock on
};

// The object name of a checkpoint whose JSON text is `json`.
std::string published_name(int64_t count, std::string_view json);

struct PublishOutcome {
    int64_t count = 0;
    std::string name{};
    std::vector<std::string> published{}; // urls that hold it now
    std::vector<std::string> failures{};  // "url: message"
};

// Signs the current head (make_checkpoint) and puts it into every location
// write-once, then records the time in instance_info. Call only for a trail
// that passed the host-head check at open. An object of that name that
// already holds the same bytes counts as published; other bytes under it
// throw integrity error (someone wrote there first).
PublishOutcome publish_checkpoint(catalog::Catalog& catalog,
                                  const std::vector<AnchorLocation>& locations);

// True when no checkpoint was published in the last k_publish_interval_ms
// (or none ever, and the instance predates publishing). One row lookup.
bool publish_due(catalog::Catalog& catalog, int64_t now_ms);

// What `audit verify` found among the published checkpoints.
struct PublishedSummary {
    int64_t checked = 0;                  // checkpoints read and checked
    int64_t newest_count = 0;             // the highest count among them
    std::vector<std::string> locations{}; // urls read
};

// Lists and reads every published checkpoint of every location (read-only)
// and checks each against the trail `r` that verify() found intact: this
// instance's key and id, count not above the last seq, head equal to the
// chain there (check_checkpoint). The first failure goes into `r`, naming
// the object; a checkpoint signed by another key is keys_replaced. Storage
// failures throw Error (storage, exit 5).
PublishedSummary check_published(catalog::Catalog& catalog,
                                 const std::vector<AnchorLocation>& locations, VerifyReport& r);

} // namespace cairn::audit
