#pragma once
// Destructive and administrative commands (purge, audit prune, key and
// member changes) must prove their right, not just name a credential:
// a member proves it by its private key (the principal is found by the
// fingerprint of CAIRN_IDENTITY's private key), the instance key file by
// being opened (its key must match its key id and the catalog's; a
// passphrase-protected file needs its passphrase). The role then decides.
#include "core/instance/instance.hpp"
#include "core/keys/access.hpp"

namespace cairn::access {

// Throws a permission error (exit 6) naming the credential when it may not
// do `action` or cannot prove it holds what it claims. Call before anything
// changes; the command's failure event records the refusal as 'denied'.
void authorize(Instance& inst, keys::Action action);

} // namespace cairn::access
