#pragma once
// What `purge status` reports: pending requests (due, deadline, progress),
// overdue ones, storage that cannot honour the deadline, and artifacts
// derived from data being deleted that are not themselves being deleted.
#include "core/catalog/copies.hpp"
#include "core/purge/context.hpp"
#include "core/purge/request.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::purge {

struct RequestStatus {
    Request request;
    std::map<std::string, int> targets; // state -> count
    bool due = false;
    bool overdue = false; // past its deadline and still pending
};

struct StorageStatus {
    std::string url;
    bool versioning = false;
    bool object_lock = false;
    std::optional<int> soft_delete_days;
    bool probed = false;          // a live probe, not the one recorded at init
    bool meets_deadline = true;   // false: deleted data may outlive the deadline
    std::string note;
};

struct UntargetedDescendant {
    std::string uid;
    std::string key;
    int version = 0;
    std::string request_uid; // the pending request whose data it derives from
};

// A working copy or cache entry of an artifact being purged that no cairn
// command of its account on its host has yet confirmed destroyed.
struct OutstandingCopy {
    catalog::LocalCopy copy;
    std::string request_uid; // "" when its request is already done
    int64_t deadline_at = 0;
};

struct Status {
    int64_t now = 0;
    std::vector<RequestStatus> requests;
    std::vector<StorageStatus> storage;
    std::vector<UntargetedDescendant> descendants;
    std::vector<OutstandingCopy> copies;
    int overdue() const;
};

// Interprets a probe: object lock can keep versions past any deadline; a
// soft-delete window longer than deadline - grace cannot fit. Versioning
// alone is fine (purge deletes every version).
StorageStatus assess_storage(const std::string& url, const storage::ProbeReport& probe, int64_t grace_ms,
                             int64_t deadline_ms);

// Reads the catalog. With `probe`, probes each storage location live
// (writes, reads and deletes a probe object); otherwise uses what init
// recorded in the storage table.
Status status(Context& ctx, int64_t now, bool probe);

std::string format_status(const Status& s);
nlohmann::json status_json(const Status& s);

} // namespace cairn::purge
