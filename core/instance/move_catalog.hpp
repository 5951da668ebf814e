#pragma once
// cairn catalog migrate: moves an instance's catalog from its SQLite file
// into a PostgreSQL database, audit trail and all, so a team can share it.
// The events keep their sequence numbers, values and chain, so audit verify
// passes on the copy and checkpoints taken before still verify.
#include "core/instance/instance.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace cairn {

struct CatalogMove {
    std::string to;                                    // "PostgreSQL catalog host:port/db"
    std::vector<std::pair<std::string, int64_t>> rows; // copied per table
    int64_t events = 0;                                // audit events verified on the copy
    std::vector<std::string> db_roles;                 // created (core/catalog/db_roles.hpp)
    std::string db_roles_not_created;                  // why not, when not
    int64_t keys_moved = 0;                            // wrapped keys moved into key objects
};

// Needs an admin's credential (exit 6) and an instance whose catalog is
// SQLite (exit 2) and whose trail verifies (exit 4). Records catalog.migrate
// in the trail, then, while it holds SQLite's write lock, copies every row
// into `url`'s database in one transaction (creating the schema and the
// database roles, as init; a database holding an instance is refused, exit
// 8), verifies the copy's trail before committing it, and points
// config.yaml at it. Anything that fails leaves the database as it was and
// config.yaml on SQLite.
CatalogMove move_catalog_to_postgres(Instance& inst, const std::string& url, bool allow_plain);

// After the instance's SQLite catalog is closed: renames catalog.db (and
// its -wal and -shm files) to catalog.db.migrated, so no cairn command opens
// it again. It still holds the old rows, wrapped data keys included; a
// purge on the new catalog never reaches it. Returns the new name.
std::filesystem::path retire_sqlite_catalog(const std::filesystem::path& instance_dir);

} // namespace cairn
