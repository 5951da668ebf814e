#pragma once
// Deletion requests: create (hide at once), cancel (only before due), read.
#include "core/purge/context.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cairn::purge {

struct Times {
    int64_t requested_at = 0;
    int64_t due_at = 0;
    int64_t deadline_at = 0;
};

// due = now + grace and deadline = now + deadline, where the deadline is
// clamped to config::k_max_deadline_ms (deletion is promised within 30 days,
// whatever the config says) and due never falls after the deadline. Throws
// Error(usage) for a negative grace or one that reaches past the deadline.
Times compute_times(int64_t now, int64_t grace_ms, int64_t deadline_ms);

struct RequestOptions {
    std::vector<std::string> refs; // key (all versions), key@vN, or uid
    std::string reason;
    bool with_descendants = false;
    std::optional<int64_t> grace_ms; // default: config purge.grace
};

struct Target {
    int64_t artifact_id = 0;
    std::string uid;
    int version = 0;
    std::string via; // "ref", "descendant", "policy"
};

struct Request {
    int64_t id = 0;
    std::string uid;
    std::string reason;
    std::string requested_by;
    Times times;
    std::string state; // pending, cancelled, done
    bool with_descendants = false;
    std::string policy;
    std::optional<int64_t> completed_at;
    int attempts = 0;
    std::string last_error;
    std::string certificate;
};

struct Created {
    Request request;
    std::vector<Target> targets;
};

// Resolves every REF (throws not_found for one that names nothing that is not
// already deleted), adds descendants if asked, and in one transaction records
// the request and its targets, marks the artifacts pending_deletion (hidden
// from ls and load at once) and appends a purge.request audit event.
Created create_request(Context& ctx, const RequestOptions& options, int64_t now);

// Records a request for artifacts chosen by a retention policy (ids of active
// artifacts); same transaction shape as create_request.
Created create_policy_request(Context& ctx, const std::string& policy, const std::vector<int64_t>& artifact_ids,
                              int64_t now);

// Cancels a pending request before its due time and makes its artifacts
// active again (unless another pending request still targets them).
// Throws not_found for an unknown request and Error(conflict) once due,
// cancelled or done.
Request cancel_request(Context& ctx, const std::string& request_uid, int64_t now);

std::optional<Request> find_request(catalog::Catalog& catalog, const std::string& request_uid);
// Pending requests, oldest first.
std::vector<Request> pending_requests(catalog::Catalog& catalog);

// Every artifact (id) derived, directly or through any number of runs, from
// one of `ids`, excluding `ids` themselves and deleted artifacts. Lineage
// today is artifact.run_id -> run_input; this is the one place that knows
// it, so a direct-edge table only needs a change here.
std::vector<int64_t> find_descendants(catalog::Catalog& catalog, const std::vector<int64_t>& ids);

// Sets is_latest on the newest active version of `key` and clears it on all
// others, so hiding or restoring a version keeps ls consistent.
void refresh_latest(catalog::Catalog& catalog, const std::string& key);

} // namespace cairn::purge
