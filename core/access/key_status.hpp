#pragma once
// What `cairn key show` reports and `cairn key export[-write-only]` does.
// Never returns or prints key material: only paths, key ids and kinds.
#include <filesystem>
#include <optional>
#include <string>

namespace cairn {
class Instance;
}

namespace cairn::access {

struct KeyStatus {
    std::filesystem::path key_file;
    bool key_file_exists = false;
    std::string key_id;                         // of the key file; empty if missing
    std::string kind;                           // "full", "write-only", "passphrase-protected"
    std::optional<std::string> instance_key_id; // the catalog's current key
    bool current = false;                       // the key file holds the current key
    std::optional<std::string> member;          // CAIRN_IDENTITY's member name
    std::string role; // the member's role, or "admin"/"write-only" for key files
};

// Inspects the key file (no passphrase asked) and, with CAIRN_IDENTITY, the
// member it belongs to. Records an audit event.
KeyStatus key_status(Instance& instance);

// Writes a write-only key file for the current instance key (0600, refuses
// to overwrite). Admin only. Records an audit event. Returns the key id.
std::string export_write_only(Instance& instance, const std::filesystem::path& out);

// Writes a full key file for the current instance key (0600, refuses to
// overwrite), sealed under `passphrase` when given. Admin only: an admin
// member can already unwrap the key, so this grants nothing new, and it is
// how key-file holders get the key after an admin member rotated it.
// Records an audit event. Returns the key id.
std::string export_full(Instance& instance, const std::filesystem::path& out,
                        std::optional<std::string_view> passphrase);

} // namespace cairn::access
