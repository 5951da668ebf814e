#pragma once
// Executes the due requests of a plan. Each target moves through
// pending -> objects_removed -> shredded -> verified, and every transition
// is committed before the next step starts, so a run killed at any point
// resumes next time from where it stopped; every step is idempotent.
//
//  objects_removed: every version and delete marker of the object in its
//                   storage location (Backend::remove_many, batched), the
//                   local cache entry and the working copies are gone.
//  shredded:        the wrapped data key (crypto-shredding), key, object
//                   name, description, suffix and content hash are erased
//                   from the artifact row, which stays as a tombstone (uid,
//                   version, size) with state 'deleted'.
//  verified:        the catalog was scrubbed (secure_delete, WAL truncated,
//                   VACUUM) after shredding, stat reports not_found and
//                   list_versions shows no version or delete marker.
// A request whose targets are all verified gets a deletion certificate, in
// deletion_request.certificate and as a purge.certificate audit event.
//
// Test hook: CAIRN_TEST_CRASH_AFTER=objects_removed|shredded|scrubbed|verified
// kills the process with SIGKILL right after the first batch reaches that
// step is committed (tests/cli/test_purge.sh uses it to prove resumption).
#include "core/purge/plan.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cairn::purge {

struct TargetFailure {
    std::string request_uid;
    std::string artifact_uid;
    std::string step; // "remove", "working copy", "shred", "scrub", "verify"
    std::string message;
};

struct RunReport {
    int requests_done = 0;
    int artifacts_verified = 0;          // targets verified by this run
    std::vector<std::string> completed;  // request uids certified by this run
    std::vector<TargetFailure> failures; // retried next run
    std::vector<std::string> overdue;    // still pending after their deadline
    std::vector<std::string> late;       // completed by this run, after their deadline
    bool ok() const { return failures.empty() && overdue.empty() && late.empty(); }
    // One line: "purge: 2 request(s) done, 14 artifact(s) deleted" plus
    // failures and missed deadlines.
    std::string summary() const;
};

// Executes plan.due (apply_retention first to include retention requests).
// Storage failures never throw: they are recorded on the target and in the
// report, and retried by the next run. `clock` gives the current time.
RunReport execute(Context& ctx, const Plan& plan, const std::function<int64_t()>& clock);

// The deletion certificate of a completed request (JSON text), or "".
std::string certificate_of(catalog::Catalog& catalog, const std::string& request_uid);

} // namespace cairn::purge
