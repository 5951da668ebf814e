#pragma once
// Instance key rotation. A new instance key replaces the old one: every
// artifact's data key is unwrapped with the old key and wrapped with the new
// one (object contents never change, because data keys don't), every active
// member is granted the new key, and the catalog records the new key id, all
// in one catalog transaction with its audit event.
//
// Crash safety: data keys must never be wrapped under a key that no file
// holds. When acting with the key file, the new key is first written to
// pending_key_path() (0600, fsynced, same passphrase) inside the
// transaction, before any data key is rewrapped; the key file is replaced
// by an atomic rename only after COMMIT. A crash before COMMIT leaves the
// catalog and the key file as they were (plus an unused pending file that
// the next rotation removes); a crash after COMMIT leaves the new key in
// the pending file, which the next process to open the key file renames into
// place (identity.hpp). The old key file is not kept: a copy of the old key
// would defeat revocation.
//
// An admin member acting with CAIRN_IDENTITY rotates without a key file:
// the new key is then held by the member grants committed in the same
// transaction, and the instance key file (if any) becomes outdated.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {
class Instance;
}

namespace cairn::access {

struct RotateOptions {
    std::string audit_action = "key.rotate";
    nlohmann::json audit_details = nlohmann::json::object();
    // Runs inside the transaction after rewrapping and before members are
    // re-granted (revoke drops a grant here); returns extra audit details.
    std::function<nlohmann::json()> in_transaction;
    // Tests only: called after "pending-key-written" and "committed"; may
    // throw to simulate a crash at that point.
    std::function<void(std::string_view step)> after_step;
};

struct RotateResult {
    std::string old_key_id;
    std::string new_key_id;
    int64_t rewrapped = 0;          // artifacts whose data key was rewrapped
    int64_t members_regranted = 0;  // active members granted the new key
    std::filesystem::path key_file; // replaced key file; empty when a member rotated
};

// Admin only (permission error otherwise). Conflict error if the instance
// key changed concurrently. Errors from unwrapping (a data key not wrapped
// under the current key) abort the whole rotation.
RotateResult rotate_instance_key(Instance& instance, const RotateOptions& options = {});

} // namespace cairn::access
