#include "core/audit/redactions.hpp"

#include "core/util/json_int.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace cairn::audit {

namespace {

struct Shred {
    int64_t seq = 0;
    std::set<std::string> uids;
    std::optional<int64_t> redacted_at; // absent in shreds by older versions
    int64_t redacted = 0;               // details.audit_events_redacted
};

std::vector<Shred> shreds(catalog::Catalog& catalog) {
    std::vector<Shred> out;
    sql::Statement q(catalog.sql(), "SELECT seq, targets, details FROM audit_event WHERE action "
                                      "= 'purge.shred' AND result = 'ok' ORDER BY seq");
    while (q.executeStep()) {
        Shred s;
        s.seq = q.getColumn(0).getInt64();
        const auto targets = nlohmann::json::parse(q.getColumn(1).getString(), nullptr, false);
        if (targets.is_array())
            for (const auto& t : targets)
                if (t.is_string()) s.uids.insert(t.get<std::string>());
        if (!q.getColumn(2).isNull()) {
            const auto d = nlohmann::json::parse(q.getColumn(2).getString(), nullptr, false);
            if (d.is_object() && d.contains("redacted_at"))
                s.redacted_at = json_int64(d["redacted_at"]);
            if (d.is_object() && d.contains("audit_events_redacted"))
                s.redacted = json_int64(d["audit_events_redacted"]).value_or(0);
        }
        out.push_back(std::move(s));
    }
    return out;
}

bool covered_by_uid(const std::vector<Shred>& all, int64_t seq, const nlohmann::json& targets) {
    if (!targets.is_array()) return false;
    for (const Shred& s : all) {
        if (s.seq <= seq || s.redacted_at) continue;
        for (const auto& t : targets)
            if (t.is_string() && s.uids.count(t.get<std::string>())) return true;
    }
    return false;
}

} // namespace

void check_redactions(catalog::Catalog& catalog, VerifyReport& r) {
    if (!r.ok()) return;
    const std::vector<Shred> all = shreds(catalog);
    // redacted_at value -> (events a shred after them may have redacted with it, newest such shred)
    std::map<int64_t, int64_t> budget, last_shred;
    for (const Shred& s : all) {
        if (!s.redacted_at) continue;
        budget[*s.redacted_at] += s.redacted;
        last_shred[*s.redacted_at] = std::max(last_shred[*s.redacted_at], s.seq);
    }
    sql::Statement q(catalog.sql(), "SELECT seq, targets, redacted_at FROM audit_event WHERE "
                                      "redacted_at IS NOT NULL ORDER BY seq");
    std::map<int64_t, int64_t> used;
    while (q.executeStep()) {
        const int64_t seq = q.getColumn(0).getInt64();
        const int64_t at = q.getColumn(2).getInt64();
        const auto it = budget.find(at);
        if (it != budget.end() && seq < last_shred[at] && ++used[at] <= it->second) continue;
        if (covered_by_uid(all, seq,
                           nlohmann::json::parse(q.getColumn(1).getString(), nullptr, false)))
            continue;
        r.problem = Problem::unmatched_redaction;
        r.bad_seq = seq;
        r.message = "event at seq " + std::to_string(seq) +
                    " was redacted, but no purge.shred event accounts for it: its text was removed "
                    "outside a purge";
        return;
    }
}

} // namespace cairn::audit
