#include "core/purge/retention.hpp"

#include <map>
#include <set>

namespace cairn::purge {

namespace {

// Backtracking matcher with memo over (pattern position, key position) so
// patterns with several '*' stay linear-ish on long keys.
class Matcher {
public:
    Matcher(std::string_view p, std::string_view k)
        : m_p(p), m_k(k), m_memo((p.size() + 1) * (k.size() + 1), -1) {}

    bool match(size_t pi, size_t ki) {
        signed char& memo = m_memo[pi * (m_k.size() + 1) + ki];
        if (memo >= 0) return memo != 0;
        memo = static_cast<signed char>(step(pi, ki) ? 1 : 0);
        return memo != 0;
    }

private:
    bool step(size_t pi, size_t ki) {
        if (pi == m_p.size()) return ki == m_k.size();
        if (m_p.compare(pi, 2, "**") == 0) {
            size_t next = pi + 2;
            // "**/" may also match no directory at all ("a/**/b" matches "a/b").
            if (next < m_p.size() && m_p[next] == '/' && match(next + 1, ki)) return true;
            for (size_t k = ki; k <= m_k.size(); ++k)
                if (match(next, k)) return true;
            return false;
        }
        if (m_p[pi] == '*') {
            for (size_t k = ki;; ++k) {
                if (match(pi + 1, k)) return true;
                if (k == m_k.size() || m_k[k] == '/') return false;
            }
        }
        if (ki == m_k.size()) return false;
        if (m_p[pi] == '?') return m_k[ki] != '/' && match(pi + 1, ki + 1);
        return m_p[pi] == m_k[ki] && match(pi + 1, ki + 1);
    }

    std::string_view m_p, m_k;
    std::vector<signed char> m_memo;
};

std::string age_text(int64_t ms) {
    if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
    if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    return std::to_string(ms / 1000) + "s";
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view key) { return Matcher(pattern, key).match(0, 0); }

std::vector<RetentionHit> plan_retention(catalog::Catalog& catalog, const std::vector<config::RetentionRule>& rules,
                                         int64_t now) {
    if (rules.empty()) return {};
    // Newest version first within each key, so the first keep_versions seen
    // are the ones kept.
    sql::Statement q(catalog.sql(), "SELECT id, uid, key, version, created_at FROM artifact"
                                      " WHERE state = 'active' AND key IS NOT NULL ORDER BY key, version DESC");
    std::vector<RetentionCandidate> active;
    while (q.executeStep())
        active.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                          q.getColumn(3).getInt(), q.getColumn(4).getInt64(), ""});

    std::vector<RetentionHit> hits;
    std::set<int64_t> taken;
    for (const auto& rule : rules) {
        RetentionHit hit{rule.match, {}};
        std::map<std::string, int> seen_per_key;
        for (const auto& a : active) {
            if (!glob_match(rule.match, a.key)) continue;
            const int rank = ++seen_per_key[a.key]; // 1 = newest active version
            std::string why;
            if (rule.max_age_ms && a.created_at < now - *rule.max_age_ms)
                why = "older than " + age_text(*rule.max_age_ms);
            else if (rule.keep_versions && rank > *rule.keep_versions)
                why = "beyond the newest " + std::to_string(*rule.keep_versions) + " versions";
            if (why.empty() || !taken.insert(a.artifact_id).second) continue;
            RetentionCandidate c = a;
            c.why = std::move(why);
            hit.artifacts.push_back(std::move(c));
        }
        if (!hit.artifacts.empty()) hits.push_back(std::move(hit));
    }
    return hits;
}

} // namespace cairn::purge
