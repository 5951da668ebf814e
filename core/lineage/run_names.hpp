#pragma once
// Runs whose command line or parameters spell a purged key. Purge replaces
// the key there with "[purged UID]" rather than dropping the column: the
// rest of a run's command line (the program, its flags, other inputs) is
// lineage that stays true and names no one, and the uid ties the gap to the
// deletion certificate. Runs are not part of the audit chain, so rewriting
// them breaks no verification. See docs/AUDIT.md, "Names".
#include "core/audit/names.hpp"
#include "core/catalog/catalog.hpp"

#include <map>
#include <set>
#include <string>

namespace cairn::lineage {

// The names one purge batch erased, with the uid of each version that had it.
struct ErasedNames {
    audit::NameSet names;
    std::map<std::string, std::map<int, std::string>, std::less<>> uids; // name -> version -> uid

    void add(const std::string& name, int version, const std::string& uid);
    // "[purged UID]": the uid of the version the hit names (key@vN) when that
    // version was erased, else of the newest erased version of the name.
    std::string label(const audit::NameHit& hit) const;
    // `text` with every name of `names` it spells replaced by its label.
    std::string replace(const std::string& text) const;
};

// Like audit::EventNameIndex, for the run table: each run is read once per
// purge run, then only the runs added since.
class RunNameIndex {
public:
    explicit RunNameIndex(const audit::NameSet& names) : m_names(names) {}
    // Remembers the runs after the last one read whose command line words
    // or parameter values spell one of the names.
    void scan(catalog::Catalog& catalog);
    // Rewrites the remembered runs that spell an erased name (re-read inside
    // the caller's write transaction). Returns how many runs changed.
    int64_t scrub(catalog::Catalog& catalog, const ErasedNames& erased);

private:
    const audit::NameSet& m_names;
    int64_t m_after = 0; // last run id read
    std::set<int64_t> m_runs;
};

} // namespace cairn::lineage
