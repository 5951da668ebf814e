#pragma once
// Names leave with the data: when purge erases an artifact's key and no
// artifact holds that key any more, the key also leaves the audit text and
// the runs that spell it (docs/AUDIT.md, "Names"). Events are redacted (the
// chain covers their digests); runs get "[purged UID]" in its place
// (core/lineage/run_names.hpp).
#include "core/audit/names.hpp"
#include "core/catalog/catalog.hpp"
#include "core/lineage/run_names.hpp"

#include <string>
#include <vector>

namespace cairn::purge {

struct ShreddedName {
    std::string key;
    int version = 0;
    std::string uid;
};

class NameEraser {
public:
    // `names`: the keys of every artifact the purge run may shred, read
    // before any of them is erased.
    explicit NameEraser(audit::NameSet names);
    NameEraser(const NameEraser&) = delete;
    NameEraser& operator=(const NameEraser&) = delete;

    // Reads the trail and the runs once, in one read transaction, so the
    // write transactions of erase() only read what was added since.
    void prepare(catalog::Catalog& catalog);

    struct Erased {
        int64_t events = 0; // events redacted
        int64_t runs = 0;   // runs rewritten
    };
    // Call inside the transaction that erased the keys of `shredded`, after
    // erasing them. Names some artifact still holds (another version not
    // purged yet) stay; they leave with the last artifact that holds them.
    Erased erase(catalog::Catalog& catalog, const std::vector<ShreddedName>& shredded, int64_t now);

    int64_t events_read() const { return m_events.events_read(); }

private:
    audit::NameSet m_names;
    audit::EventNameIndex m_events;
    lineage::RunNameIndex m_runs;
};

} // namespace cairn::purge
