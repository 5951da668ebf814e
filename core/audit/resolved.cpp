#include "core/audit/resolved.hpp"

#include <algorithm>
#include <mutex>

namespace cairn::audit {

namespace {

struct Resolved {
    std::mutex mutex;
    std::vector<std::string> uids; // a command resolves a handful at most
};

Resolved& resolved() {
    static Resolved k_resolved;
    return k_resolved;
}

} // namespace

void note_resolved(const std::string& uid) {
    auto& r = resolved();
    std::lock_guard lock(r.mutex);
    if (std::find(r.uids.begin(), r.uids.end(), uid) == r.uids.end()) r.uids.push_back(uid);
}

std::vector<std::string> resolved_uids() {
    auto& r = resolved();
    std::lock_guard lock(r.mutex);
    return r.uids;
}

void clear_resolved() {
    auto& r = resolved();
    std::lock_guard lock(r.mutex);
    r.uids.clear();
}

} // namespace cairn::audit
