#pragma once
// What a failed catalog statement means to the user. SQLite reports a
// read-only file, a full disk or a lock held too long as exceptions; these
// become the documented exit codes (man/cairn.1, EXIT STATUS) with a message
// that names the catalog and what to do, never "exit 1: readonly database".
#include "core/util/error.hpp"

#include <SQLiteCpp/Exception.h>

#include <filesystem>

namespace cairn::catalog {

// `db` is the catalog's path, or empty when no instance was open.
Error catalog_error(const SQLite::Exception& e, const std::filesystem::path& db);

// A catalog this account can only read, opened by a command that writes
// (exit 6); `detail` says what SQLite reported, if anything.
Error read_only_catalog(const std::filesystem::path& db, const std::string& detail = "read-only for this account");

} // namespace cairn::catalog
