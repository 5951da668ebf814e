#pragma once
// Matching redactions to the purges that made them. redacted_at is not
// covered by the chain, so anyone who can write the catalog could blank an
// event's text and the chain would still verify; check_redactions() finds
// such a redaction because no purge.shred event accounts for it.
//
// A redacted event (seq s) is covered when a purge.shred event after it
//  - recorded, in details.redacted_at, the redacted_at value the event has
//    (the value that shred gave the events it redacted, by uid or by name),
//    and the events bearing that value are no more than the sum of
//    details.audit_events_redacted of the shreds that recorded it; or
//  - (shreds written before details.redacted_at existed) lists one of the
//    event's target uids among its own targets.
#include "core/audit/verify.hpp"
#include "core/catalog/catalog.hpp"

namespace cairn::audit {

// Sets `r` to Problem::unmatched_redaction at the first redacted event no
// purge.shred covers. Does nothing when `r` already failed. Reads only.
void check_redactions(catalog::Catalog& catalog, VerifyReport& r);

} // namespace cairn::audit
