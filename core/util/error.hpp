#pragma once
// One error type for the whole program. Core code throws cairn::Error for
// failures the user must see; main() catches it once, prints
// "cairn: error: <message>" plus the hint, and exits with exit_code(kind).
#include <stdexcept>
#include <string>

namespace cairn {

// The documented exit-code table (see man/cairn.1, EXIT STATUS). Values are
// stable: scripts depend on them.
enum class ErrorKind {
    internal = 1,    // a bug or an unexpected system failure
    usage = 2,       // bad flags, bad arguments, bad key names
    not_found = 3,   // no such artifact, instance, file or run
    integrity = 4,   // hash mismatch, failed authentication, tampered audit log
    storage = 5,     // the object store failed, timed out or refused
    permission = 6,  // missing/unsafe key file, wrong passphrase, role denied, unreadable file
    config = 7,      // malformed or invalid config.yaml, no instance
    conflict = 8,    // locked by another process, already exists, invalid state change
    incomplete = 9,  // purge: something failed or a deadline was missed
};

int exit_code(ErrorKind kind);
const char* kind_name(ErrorKind kind);

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string message, std::string hint = {})
        : std::runtime_error(std::move(message)), m_kind(kind), m_hint(std::move(hint)) {}
    ErrorKind kind() const { return m_kind; }
    const std::string& hint() const { return m_hint; }

private:
    ErrorKind m_kind;
    std::string m_hint;
};

} // namespace cairn
