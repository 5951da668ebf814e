#pragma once
// The plan of a purge run: which retention requests would be created, which
// requests are due and what is left to do for each. Planning only reads;
// `purge run --dry-run` prints the plan and stops.
#include "core/purge/context.hpp"
#include "core/purge/request.hpp"
#include "core/purge/retention.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::purge {

struct PlannedTarget {
    int64_t artifact_id = 0;
    std::string uid;
    std::string key; // empty once shredded
    int version = 0;
    uint64_t size = 0;
    std::string state; // pending, objects_removed, shredded
    std::string storage_url;
    std::string object_name;
    // The artifact's key object (core/artifact/key_objects.hpp), destroyed
    // and verified with the data object; empty when the key is in the row.
    std::string key_object;
    // Other key objects of the artifact still registered as pending uploads
    // (a rotation killed before it removed the one it replaced): destroyed
    // and verified too, then forgotten.
    std::vector<std::string> leftover_key_objects;
};

struct DueRequest {
    Request request;
    std::vector<PlannedTarget> targets; // not yet verified
    int verified = 0;                   // targets already done
};

struct Plan {
    int64_t now = 0;
    std::vector<RetentionHit> retention; // requests a run would create
    int64_t retention_due_at = 0;        // when those would be due
    std::vector<DueRequest> due;         // pending requests with due_at <= now
    std::vector<Request> waiting;        // pending, still in their grace period
    bool has_work() const;
};

// Reads the catalog; changes nothing.
Plan make_plan(Context& ctx, int64_t now);

// Creates the requests for plan.retention and, for those already due (no
// grace configured), adds them to plan.due so this run executes them.
void apply_retention(Context& ctx, Plan& plan);

// The plan as text (one line per request and per artifact) and as JSON.
std::string format_plan(const Plan& plan, bool dry_run);
nlohmann::json plan_json(const Plan& plan);

// Targets of one request that are not verified yet.
std::vector<PlannedTarget> open_targets(catalog::Catalog& catalog, int64_t request_id, int* verified = nullptr);

} // namespace cairn::purge
