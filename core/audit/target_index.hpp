#pragma once
// audit_target indexes the uids each event lists in `targets`, so purge
// finds the events to redact and load the events that sealed an artifact.
// The chain does not cover the index, so audit verify compares it with the
// events both ways: a listed uid missing from the index hides an event
// from redaction and from the seal lookup; an extra row points either at
// the wrong event.
#include "core/catalog/catalog.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::audit {

// (seq, uid) pairs, the uids in one arena: a million events would
// otherwise cost a heap allocation per uid (16 bytes, past the small-string
// buffer).
class TargetList {
public:
    void add(int64_t seq, std::string_view uid);
    // The uids an event's `targets` (a JSON array of uids) lists.
    void add_listed(int64_t seq, std::string_view targets);
    // Sorted by (seq, uid), each pair once (the index holds a uid once per event).
    void normalise();
    size_t size() const { return m_items.size(); }
    int64_t seq(size_t i) const { return m_items[i].seq; }
    std::string_view uid(size_t i) const { return uid_of(m_items[i]); }

private:
    struct Item {
        int64_t seq;
        uint32_t offset, length;
    };
    std::string_view uid_of(const Item& it) const { return std::string_view(m_arena).substr(it.offset, it.length); }
    std::vector<Item> m_items;
    std::string m_arena;
};

// "" when audit_target holds exactly the (seq, uid) pairs of `listed` (the
// targets of every event, as verify read them), else what differs first.
std::string compare_target_index(catalog::Catalog& catalog, TargetList& listed);

// The same, reading the events itself (tests and tools: verify reads them
// once for the chain and the index together).
std::string audit_target_mismatch(catalog::Catalog& catalog);

} // namespace cairn::audit
