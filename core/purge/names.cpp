#include "core/purge/names.hpp"

namespace cairn::purge {

NameEraser::NameEraser(audit::NameSet names) : m_names(std::move(names)), m_events(m_names), m_runs(m_names) {}

void NameEraser::prepare(catalog::Catalog& c) {
    if (m_names.empty()) return;
    c.read_transaction([&] {
        m_events.scan(c);
        m_runs.scan(c);
    });
}

NameEraser::Erased NameEraser::erase(catalog::Catalog& c, const std::vector<ShreddedName>& shredded, int64_t now) {
    Erased out;
    if (m_names.empty()) return out;
    lineage::ErasedNames gone;
    sql::Statement held(c.sql(), "SELECT 1 FROM artifact WHERE key = ? LIMIT 1");
    for (const auto& s : shredded) {
        if (s.key.empty()) continue;
        held.bind(1, s.key);
        const bool still_held = held.executeStep();
        held.reset();
        if (!still_held) gone.add(s.key, s.version, s.uid);
    }
    if (gone.names.empty()) return out;
    // Whatever was appended since prepare() (or the last batch) is read
    // under the write lock, so no event that exists now is missed.
    m_events.scan(c);
    m_runs.scan(c);
    out.events = m_events.redact(c, gone.names, now);
    out.runs = m_runs.scrub(c, gone);
    return out;
}

} // namespace cairn::purge
