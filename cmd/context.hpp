#pragma once
// The instance a command works on, opened once per process and remembered
// so a failing command can still be written to the audit trail.
#include "cmd/commands.hpp"
#include "core/instance/instance.hpp"
#include "core/keys/passphrase.hpp"
#include "core/util/error.hpp"

namespace cairn::cmd {

Instance& instance(GlobalOptions& g);
// The instance with its catalog read-only (audit verify): nothing is written,
// not even a failure event.
Instance& instance_read_only(GlobalOptions& g);

// Closes the open instance, so instance() opens it again from config.yaml
// (catalog migrate, which renames the SQLite file it had open).
void close_instance();

// The open instance's catalog file, or empty when none is open (for errors).
std::filesystem::path opened_catalog_path();

// Records a failed or refused command (result "error"/"denied") if an
// instance was opened; never throws.
void audit_failure(const std::string& action, const Error& e);

// After the command (success or failure): records the audit head this host
// saw outside the instance, when the instance was opened for writing and its
// trail matched the recorded head at open. Never throws.
void finish_command();

// Asks finish_command() to publish a signed checkpoint to every storage
// location (core/audit/published.hpp) even if the last one is recent: purge
// run, audit prune, key rotation and access changes call it.
void request_publish();

// The passphrase for a new key file (init --passphrase, key export
// --passphrase): read from the private file $CAIRN_PASSPHRASE_FILE, so it
// never appears in argv or shell history. nullopt when not wanted.
std::optional<keys::SecretString> new_passphrase(bool wanted);
// What core functions take: a view of the passphrase, or nullopt.
inline std::optional<std::string_view> view_of(const std::optional<keys::SecretString>& p) {
    return p ? std::optional<std::string_view>(p->view()) : std::nullopt;
}

} // namespace cairn::cmd
