#pragma once
// The artifacts this process resolved from a REF (key, key@vN or uid), so a
// command that fails after resolving one still names it by uid in its audit
// event (cmd::audit_failure). Purge redacts events by target uid; an event
// whose targets stayed empty would keep the key in its command line.
#include <string>
#include <vector>

namespace cairn::audit {

// Remembers `uid` (once). Thread-safe.
void note_resolved(const std::string& uid);

// Every uid noted so far, in the order first noted.
std::vector<std::string> resolved_uids();

// Forgets them (tests).
void clear_resolved();

} // namespace cairn::audit
