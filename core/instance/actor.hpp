#pragma once
// Who is doing what: recorded on every audit event and run.
#include <memory>
#include <string>
#include <vector>

namespace cairn::audit {
class Signer;
}

namespace cairn {

struct Actor {
    std::string identity;     // configured identity, else the OS user name
    std::string os_user;
    long os_uid = -1;
    std::string host;
    long pid = 0;
    std::string command_line; // secrets redacted
    // The credential this process acts with, once known (Instance::principal):
    // "key file <key id>", "write-only key file <key id>", "member <name>
    // (<role>, <fingerprint>)"; "" = none used or found (recorded as "none").
    std::string credential{};
    // The member's own key that signs this process's audit events
    // ($CAIRN_SIGNING_KEY, core/audit/event_signatures.hpp); null: the
    // instance's audit-sign.key where this machine has it.
    std::shared_ptr<const audit::Signer> signer{};
};

// Describes the current process. `configured_identity` may be empty.
Actor current_actor(const std::vector<std::string>& argv, const std::string& configured_identity);

// Joins argv for the audit trail, replacing values that could be secrets
// (flags named like --secret/--password/--token/--passphrase, key=secret
// params, and user:password@ in URLs) with "***".
std::string redact_command_line(const std::vector<std::string>& argv);

// One word as redact_command_line() writes it: bare when it holds no blank,
// quote, backslash, '$' or '`' (and is not empty), else in single quotes
// with each ' written as '\''. A word that is not valid UTF-8 is written
// $'...' with its control and invalid bytes, ' and \ as \xNN, so the
// command line is valid UTF-8 text (PostgreSQL stores nothing else).
std::string quote_arg(const std::string& arg);

// Scrubs free text (error messages, audit details) the same way: name=value
// pairs whose name looks secret, user:password@ in URLs, and secret-looking
// URL query parameters anywhere in the text become "***".
std::string redact_text(const std::string& text);

} // namespace cairn
