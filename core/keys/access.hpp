#pragma once
// Who holds the keys and what they may do. Roles say what a member may do;
// the key they hold says what they can do: a write-only key file can seal
// new data keys but never open one, whatever the roles allow, because it
// holds no secret.
#include <string>
#include <string_view>

namespace cairn::keys {

// purger: may request, cancel and run purges and nothing else; its grant
// holds no instance key, so it cannot read or write any data (cron).
enum class Role { reader, writer, admin, purger };

// "reader", "writer", "admin", "purger".
std::string role_name(Role role);
// Usage error for anything else.
Role parse_role(std::string_view name);

enum class Action {
    load,       // unwrap data keys
    save,       // wrap new data keys
    administer, // grant, revoke, rotate, export key files, prune the audit trail
    purge,      // request, cancel and run deletions
};

struct Principal {
    enum class Kind {
        key_file,            // the full instance key file: may do everything
        write_only_key_file, // can save; loading fails in the key ring
        member,              // a member's private key (CAIRN_IDENTITY)
    };
    Kind kind = Kind::key_file;
    std::string name; // member name, or the key file path
    Role role = Role::admin;
    std::string id{}; // key id of a key file, fingerprint of a member's key
};

// The credential as the audit trail records it: "key file <key id>",
// "write-only key file <key id>", "member <name> (<role>, <fingerprint>)".
std::string credential_label(const Principal& who);

// A short description for messages: "member 'ann' (reader)", "key file P".
std::string describe(const Principal& who);

// Throws a permission error naming the member and its role when `who` may
// not do `action`. Readers may load; writers may load and save; purgers may
// only purge; admins and the instance key file may do everything; a
// write-only key file may save and do nothing else (its load attempts fail
// in the key ring, which cannot unwrap).
void require(const Principal& who, Action action);

} // namespace cairn::keys
