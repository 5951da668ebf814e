#include "core/audit/target_index.hpp"

#include "core/util/error.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace cairn::audit {

void TargetList::add(int64_t seq, std::string_view uid) {
    m_items.push_back({seq, static_cast<uint32_t>(m_arena.size()), static_cast<uint32_t>(uid.size())});
    m_arena.append(uid);
}

void TargetList::add_listed(int64_t seq, std::string_view targets) {
    // Uids never need JSON escapes: the common case is split by hand (verify
    // does this for every event); anything else goes through the parser.
    if (targets.find('\\') == std::string_view::npos && targets.size() >= 2 && targets.front() == '[' &&
        targets.back() == ']') {
        size_t at = 1;
        while (at < targets.size() - 1) {
            const size_t open = targets.find('"', at);
            if (open == std::string_view::npos) break;
            const size_t close = targets.find('"', open + 1);
            if (close == std::string_view::npos) break;
            add(seq, targets.substr(open + 1, close - open - 1));
            at = close + 1;
        }
        return;
    }
    const auto j = nlohmann::json::parse(targets, nullptr, false);
    if (!j.is_array()) return;
    for (const auto& t : j)
        if (t.is_string()) add(seq, t.get_ref<const std::string&>());
}

void TargetList::normalise() {
    auto less = [&](const Item& a, const Item& b) { return a.seq != b.seq ? a.seq < b.seq : uid_of(a) < uid_of(b); };
    auto equal = [&](const Item& a, const Item& b) { return a.seq == b.seq && uid_of(a) == uid_of(b); };
    // Verify's list arrives in seq order, mostly one uid per event: often
    // sorted already, which costs one pass to see.
    if (!std::is_sorted(m_items.begin(), m_items.end(), less)) std::sort(m_items.begin(), m_items.end(), less);
    m_items.erase(std::unique(m_items.begin(), m_items.end(), equal), m_items.end());
}

namespace {

// Steps `sql` (two columns: an integer and a text), over a million rows.
template <class Row> void scan(catalog::Catalog& catalog, const char* sql, Row&& row) {
    sql::Statement q(catalog.sql(), sql, sql::Rows::paged);
    while (q.executeStep())
        row(q.getColumn(0).getInt64(), q.getColumn(1).text());
}

} // namespace

std::string compare_target_index(catalog::Catalog& catalog, TargetList& listed) {
    TargetList indexed;
    scan(catalog, "SELECT seq, uid FROM audit_target", [&](int64_t seq, std::string_view uid) { indexed.add(seq, uid); });
    listed.normalise();
    indexed.normalise();
    size_t i = 0;
    while (i < listed.size() && i < indexed.size() && listed.seq(i) == indexed.seq(i) && listed.uid(i) == indexed.uid(i)) ++i;
    if (i == listed.size() && i == indexed.size()) return {};
    // The smaller of the first differing entries is the one the other side lacks.
    const bool lacks = i == indexed.size() ||
                       (i < listed.size() && std::pair(listed.seq(i), listed.uid(i)) < std::pair(indexed.seq(i), indexed.uid(i)));
    if (lacks)
        return "audit_target lacks the entry for event " + std::to_string(listed.seq(i)) + " naming " + std::string(listed.uid(i));
    return "audit_target has an entry for event " + std::to_string(indexed.seq(i)) + " naming " +
           std::string(indexed.uid(i)) + ", which that event does not list";
}

std::string audit_target_mismatch(catalog::Catalog& catalog) {
    TargetList listed;
    scan(catalog, "SELECT seq, targets FROM audit_event", [&](int64_t seq, std::string_view t) { listed.add_listed(seq, t); });
    return compare_target_index(catalog, listed);
}

} // namespace cairn::audit
