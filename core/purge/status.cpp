#include "core/purge/status.hpp"

#include "core/util/time.hpp"

#include <map>
#include <set>
#include <sstream>

namespace cairn::purge {

namespace {

// init records the probe as space-separated words: "versioning",
// "object-lock", "soft-delete=N", "no-write-once" (the store ignored
// If-None-Match: published audit checkpoints can be overwritten).
storage::ProbeReport recorded_probe(const std::string& text) {
    storage::ProbeReport p;
    std::istringstream in(text);
    for (std::string word; in >> word;) {
        if (word == "versioning") p.versioning = true;
        else if (word == "object-lock") p.object_lock = true;
        else if (word == "no-write-once") p.write_once = false;
        else if (word.rfind("soft-delete=", 0) == 0) p.soft_delete_days = std::atoi(word.c_str() + 12);
    }
    return p;
}

std::vector<int64_t> target_ids(catalog::Catalog& c, int64_t request_id) {
    sql::Statement q(c.sql(), "SELECT artifact_id FROM deletion_target WHERE request_id = ? AND state != 'cancelled'");
    q.bind(1, request_id);
    std::vector<int64_t> ids;
    while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
    return ids;
}

} // namespace

int Status::overdue() const {
    int n = 0;
    for (const auto& r : requests) n += r.overdue ? 1 : 0;
    return n;
}

StorageStatus assess_storage(const std::string& url, const storage::ProbeReport& probe, int64_t grace_ms,
                             int64_t deadline_ms) {
    StorageStatus s;
    s.url = url;
    s.versioning = probe.versioning;
    s.object_lock = probe.object_lock;
    s.soft_delete_days = probe.soft_delete_days;
    if (probe.object_lock) {
        s.meets_deadline = false;
        s.note = "object lock is enabled: locked versions cannot be deleted before their retention ends";
    } else if (probe.soft_delete_days && *probe.soft_delete_days > 0) {
        const int64_t window = int64_t{*probe.soft_delete_days} * k_ms_per_day;
        s.meets_deadline = window < deadline_ms - grace_ms;
        s.note = "soft delete keeps deleted objects " + std::to_string(*probe.soft_delete_days) + " day(s)" +
                 (s.meets_deadline ? "; this fits only if purge runs as soon as requests are due"
                                   : ", longer than the deadline allows");
    } else if (probe.versioning) {
        s.note = "versioning: purge deletes every version and delete marker";
    }
    if (probe.write_once == std::optional<bool>(false))
        s.note += std::string(s.note.empty() ? "" : "; ") +
                  "the store ignores If-None-Match: published audit checkpoints can be overwritten (docs/AUDIT.md, Anchors)";
    return s;
}

Status status(Context& ctx, int64_t now, bool probe) {
    Status out;
    out.now = now;
    std::set<int64_t> targeted;
    std::vector<std::pair<std::string, std::vector<int64_t>>> per_request;
    for (auto& req : pending_requests(ctx.catalog)) {
        RequestStatus rs;
        sql::Statement q(ctx.catalog.sql(), "SELECT state, COUNT(*) FROM deletion_target WHERE request_id = ? GROUP BY state");
        q.bind(1, req.id);
        while (q.executeStep()) rs.targets[q.getColumn(0).getString()] = q.getColumn(1).getInt();
        rs.due = req.times.due_at <= now;
        rs.overdue = req.times.deadline_at < now;
        auto ids = target_ids(ctx.catalog, req.id);
        targeted.insert(ids.begin(), ids.end());
        per_request.emplace_back(req.uid, std::move(ids));
        rs.request = std::move(req);
        out.requests.push_back(std::move(rs));
    }

    sql::Statement st(ctx.catalog.sql(), "SELECT url, probe FROM storage ORDER BY id");
    while (st.executeStep()) {
        const std::string url = st.getColumn(0).getString();
        storage::ProbeReport report;
        bool live = false;
        if (probe) {
            try {
                report = ctx.storage(url).probe();
                live = true;
            } catch (const std::exception&) {
                report = recorded_probe(st.getColumn(1).isNull() ? "" : st.getColumn(1).getString());
            }
        } else {
            report = recorded_probe(st.getColumn(1).isNull() ? "" : st.getColumn(1).getString());
        }
        StorageStatus s = assess_storage(url, report, ctx.config.purge_grace_ms, ctx.config.purge_deadline_ms);
        s.probed = live;
        out.storage.push_back(std::move(s));
    }

    std::map<int64_t, const Request*> request_of;
    for (const auto& r : out.requests)
        for (const auto& [uid, ids] : per_request)
            if (uid == r.request.uid)
                for (int64_t id : ids) request_of.emplace(id, &r.request);
    for (auto& c : catalog::outstanding_copies(ctx.catalog)) {
        OutstandingCopy o{std::move(c), "", 0};
        if (auto it = request_of.find(o.copy.artifact_id); it != request_of.end()) {
            o.request_uid = it->second->uid;
            o.deadline_at = it->second->times.deadline_at;
        }
        out.copies.push_back(std::move(o));
    }

    sql::Statement art(ctx.catalog.sql(), "SELECT uid, key, version FROM artifact WHERE id = ?");
    for (const auto& [request_uid, ids] : per_request) {
        for (int64_t id : find_descendants(ctx.catalog, ids)) {
            if (targeted.count(id)) continue;
            art.bind(1, id);
            if (art.executeStep())
                out.descendants.push_back({art.getColumn(0).getString(),
                                           art.getColumn(1).isNull() ? "" : art.getColumn(1).getString(),
                                           art.getColumn(2).getInt(), request_uid});
            art.reset();
        }
    }
    return out;
}

std::string format_status(const Status& s) {
    std::ostringstream out;
    if (s.requests.empty()) out << "no pending deletion requests\n";
    for (const auto& r : s.requests) {
        const Request& q = r.request;
        int total = 0;
        for (const auto& [state, n] : r.targets) total += n;
        out << q.uid << "  " << total << " artifact(s)  due " << format_utc_ms(q.times.due_at) << "  deadline "
            << format_utc_ms(q.times.deadline_at);
        if (r.overdue) out << "  OVERDUE";
        else if (r.due) out << "  due now";
        if (!q.policy.empty()) out << "  (retention '" << q.policy << "')";
        out << "\n";
        if (!q.reason.empty() && q.policy.empty()) out << "    reason: " << q.reason << "\n";
        if (r.targets.size() > 1 || !r.targets.count("pending")) {
            out << "    progress:";
            for (const auto& [state, n] : r.targets) out << " " << state << "=" << n;
            out << "\n";
        }
        if (!q.last_error.empty()) out << "    last error: " << q.last_error << "\n";
    }
    for (const auto& st : s.storage)
        if (!st.meets_deadline) out << "storage " << st.url << " CANNOT meet the deletion deadline: " << st.note << "\n";
        else if (!st.note.empty()) out << "storage " << st.url << ": " << st.note << "\n";
    for (const auto& d : s.descendants)
        out << "derived from data being deleted (request " << d.request_uid << ") but not targeted: "
            << (d.key.empty() ? d.uid : d.key + "@v" + std::to_string(d.version) + " (" + d.uid + ")") << "\n";
    if (!s.descendants.empty()) out << "hint: request them too, or use 'purge request --with-descendants'\n";
    for (const auto& o : s.copies) {
        out << "not yet destroyed: " << (o.copy.kind == "working_copy" ? "working copy " : "cache entry ") << o.copy.path
            << " of artifact " << o.copy.artifact_uid << ", account " << o.copy.os_user << " on host " << o.copy.host;
        if (!o.request_uid.empty())
            out << " (request " << o.request_uid << ", deadline " << format_utc_ms(o.deadline_at) << ")";
        out << "\n";
    }
    if (!s.copies.empty())
        out << "hint: any cairn command run by that account on that host destroys its copies, e.g. 'cairn ls'\n";
    return out.str();
}

nlohmann::json status_json(const Status& s) {
    nlohmann::json j = {{"now", format_utc_ms(s.now)}, {"requests", nlohmann::json::array()},
                        {"overdue", s.overdue()},      {"storage", nlohmann::json::array()},
                        {"untargeted_descendants", nlohmann::json::array()},
                        {"outstanding_copies", nlohmann::json::array()}};
    for (const auto& r : s.requests) {
        const Request& q = r.request;
        j["requests"].push_back({{"request", q.uid}, {"reason", q.reason}, {"policy", q.policy},
                                 {"requested_by", q.requested_by}, {"requested_at", format_utc_ms(q.times.requested_at)},
                                 {"due_at", format_utc_ms(q.times.due_at)}, {"deadline_at", format_utc_ms(q.times.deadline_at)},
                                 {"due", r.due}, {"overdue", r.overdue}, {"targets", r.targets},
                                 {"attempts", q.attempts}, {"last_error", q.last_error}});
    }
    for (const auto& st : s.storage) {
        nlohmann::json e = {{"url", st.url}, {"versioning", st.versioning}, {"object_lock", st.object_lock},
                            {"meets_deadline", st.meets_deadline}, {"probed", st.probed}, {"note", st.note}};
        if (st.soft_delete_days) e["soft_delete_days"] = *st.soft_delete_days;
        j["storage"].push_back(e);
    }
    for (const auto& d : s.descendants)
        j["untargeted_descendants"].push_back({{"uid", d.uid}, {"key", d.key}, {"version", d.version}, {"request", d.request_uid}});
    for (const auto& o : s.copies)
        j["outstanding_copies"].push_back({{"artifact", o.copy.artifact_uid}, {"kind", o.copy.kind},
                                           {"host", o.copy.host}, {"account", o.copy.os_user},
                                           {"path", o.copy.path}, {"request", o.request_uid},
                                           {"deadline_at", o.deadline_at ? format_utc_ms(o.deadline_at) : ""}});
    return j;
}

} // namespace cairn::purge
