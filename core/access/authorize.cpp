#include "core/access/authorize.hpp"

namespace cairn::access {

void authorize(Instance& inst, keys::Action action) {
    const keys::Principal& who = inst.principal();
    keys::require(who, action);
    // A key file is only inspected to find the principal: a copied header
    // would pass for the instance key. Opening it proves possession.
    if (who.kind == keys::Principal::Kind::key_file) inst.keyring();
}

} // namespace cairn::access
