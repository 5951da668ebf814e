#include "core/purge/plan.hpp"

#include "core/artifact/key_objects.hpp"
#include "core/catalog/pending_uploads.hpp"
#include "core/util/time.hpp"

#include <algorithm>
#include <sstream>

namespace cairn::purge {

namespace {

std::string text(sql::Statement& q, int i) { return q.getColumn(i).isNull() ? "" : q.getColumn(i).getString(); }

std::string target_name(const std::string& key, int version, const std::string& uid) {
    if (key.empty()) return uid + " (v" + std::to_string(version) + ", already shredded)";
    return key + "@v" + std::to_string(version) + " (" + uid + ")";
}

} // namespace

bool Plan::has_work() const { return !retention.empty() || !due.empty(); }

std::vector<PlannedTarget> open_targets(catalog::Catalog& c, int64_t request_id, int* verified) {
    sql::Statement q(c.sql(),
        "SELECT a.id, a.uid, a.key, a.version, a.size, t.state, s.url, t.object_name, t.key_object, a.wrapped_key, a.key_id"
        " FROM deletion_target t JOIN artifact a ON a.id = t.artifact_id LEFT JOIN storage s ON s.id = t.storage_id"
        " WHERE t.request_id = ? ORDER BY a.id");
    q.bind(1, request_id);
    std::vector<PlannedTarget> out;
    const std::vector<std::string> pending = catalog::pending_upload_names(c); // sorted
    if (verified) *verified = 0;
    while (q.executeStep()) {
        std::string state = q.getColumn(5).getString();
        if (state == "verified" || state == "cancelled") {
            if (verified && state == "verified") ++*verified;
            continue;
        }
        PlannedTarget t{q.getColumn(0).getInt64(), text(q, 1), text(q, 2), q.getColumn(3).getInt(),
                        static_cast<uint64_t>(q.getColumn(4).getInt64()), state, text(q, 6), text(q, 7), text(q, 8), {}};
        // Until the shred step records it, the row's key reference names it.
        if (t.key_object.empty() && !t.object_name.empty() && artifact::is_key_reference(text(q, 9)))
            t.key_object = artifact::key_object_name(t.object_name, text(q, 10));
        if (!t.object_name.empty()) {
            const std::string prefix = t.object_name + ".";
            for (auto it = std::lower_bound(pending.begin(), pending.end(), prefix);
                 it != pending.end() && it->starts_with(prefix); ++it)
                if (*it != t.key_object && it->ends_with(".key")) t.leftover_key_objects.push_back(*it);
        }
        out.push_back(std::move(t));
    }
    return out;
}

Plan make_plan(Context& ctx, int64_t now) {
    Plan plan;
    plan.now = now;
    plan.retention = plan_retention(ctx.catalog, ctx.config.retention, now);
    plan.retention_due_at = now + ctx.config.purge_grace_ms;
    for (auto& req : pending_requests(ctx.catalog)) {
        if (req.times.due_at > now) {
            plan.waiting.push_back(std::move(req));
            continue;
        }
        DueRequest due;
        due.targets = open_targets(ctx.catalog, req.id, &due.verified);
        due.request = std::move(req);
        plan.due.push_back(std::move(due));
    }
    return plan;
}

void apply_retention(Context& ctx, Plan& plan) {
    for (const auto& hit : plan.retention) {
        std::vector<int64_t> ids;
        for (const auto& a : hit.artifacts) ids.push_back(a.artifact_id);
        Created created = create_policy_request(ctx, hit.policy, ids, plan.now);
        if (created.targets.empty()) continue;
        if (created.request.times.due_at > plan.now) {
            plan.waiting.push_back(created.request);
            continue;
        }
        DueRequest due;
        due.targets = open_targets(ctx.catalog, created.request.id);
        due.request = created.request;
        plan.due.push_back(std::move(due));
    }
    plan.retention.clear();
}

std::string format_plan(const Plan& plan, bool dry_run) {
    std::ostringstream out;
    const char* will = dry_run ? "would " : "";
    for (const auto& hit : plan.retention) {
        out << "retention '" << hit.policy << "': " << will << "request deletion of " << hit.artifacts.size()
            << " artifact(s), due " << format_utc_ms(plan.retention_due_at) << "\n";
        for (const auto& a : hit.artifacts)
            out << "  " << target_name(a.key, a.version, a.uid) << ": " << a.why << "\n";
    }
    for (const auto& d : plan.due) {
        const Request& r = d.request;
        out << "request " << r.uid << (r.policy.empty() ? "" : " (retention '" + r.policy + "')") << ": " << will
            << "delete " << d.targets.size() << " artifact(s)";
        if (d.verified) out << " (" << d.verified << " already done)";
        out << ", due " << format_utc_ms(r.times.due_at) << ", deadline " << format_utc_ms(r.times.deadline_at);
        if (r.times.deadline_at < plan.now) out << " (OVERDUE)";
        out << "\n";
        for (const auto& t : d.targets) {
            out << "  " << target_name(t.key, t.version, t.uid);
            if (t.state != "pending") out << " [resuming after " << t.state << "]";
            out << "\n";
        }
    }
    if (!plan.waiting.empty())
        out << plan.waiting.size() << " request(s) still in their grace period (see 'cairn purge status')\n";
    return out.str();
}

nlohmann::json plan_json(const Plan& plan) {
    nlohmann::json j = {{"now", format_utc_ms(plan.now)}, {"retention", nlohmann::json::array()},
                        {"due", nlohmann::json::array()}, {"waiting", nlohmann::json::array()}};
    for (const auto& hit : plan.retention) {
        nlohmann::json arts = nlohmann::json::array();
        for (const auto& a : hit.artifacts)
            arts.push_back({{"uid", a.uid}, {"key", a.key}, {"version", a.version}, {"why", a.why}});
        j["retention"].push_back({{"policy", hit.policy}, {"due_at", format_utc_ms(plan.retention_due_at)}, {"artifacts", arts}});
    }
    for (const auto& d : plan.due) {
        nlohmann::json targets = nlohmann::json::array();
        for (const auto& t : d.targets)
            targets.push_back({{"uid", t.uid}, {"key", t.key}, {"version", t.version}, {"state", t.state},
                               {"storage", t.storage_url}});
        j["due"].push_back({{"request", d.request.uid}, {"policy", d.request.policy},
                            {"due_at", format_utc_ms(d.request.times.due_at)},
                            {"deadline_at", format_utc_ms(d.request.times.deadline_at)},
                            {"overdue", d.request.times.deadline_at < plan.now}, {"already_verified", d.verified},
                            {"targets", targets}});
    }
    for (const auto& r : plan.waiting)
        j["waiting"].push_back({{"request", r.uid}, {"due_at", format_utc_ms(r.times.due_at)}});
    return j;
}

} // namespace cairn::purge
