#pragma once
// The SQLite catalog: one file per instance (.cairn/catalog.db), opened in
// WAL mode with a busy timeout so many processes can share it, foreign keys
// on, and secure_delete on so freed pages are zeroed (purge relies on it).
#include "core/catalog/db/sqlite_connection.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace cairn {
// The catalog's SQL interface, the same on SQLite and PostgreSQL.
namespace sql = catalog::db;
} // namespace cairn

namespace cairn::catalog {

class Catalog {
public:
    // Opens (and migrates) the catalog; `create` allows a new file.
    static std::unique_ptr<Catalog> open(const std::filesystem::path& path, bool create = false);
    // Opens an existing catalog for reading only (audit verify): nothing is
    // migrated or written. A catalog in a directory this process cannot
    // write (an auditor's read-only copy) is opened as immutable.
    static std::unique_ptr<Catalog> open_read_only(const std::filesystem::path& path);

    // Every statement of the catalog's tables goes through sql().
    sql::Connection& sql() { return m_sql; }
    // The SQLite database itself, for what only SQLite has (PRAGMAs, the
    // raw statements of the audit trail's hot loops).
    SQLite::Database& db() { return m_db; }
    const std::filesystem::path& path() const { return m_path; }
    int schema_version();

    // Runs `body` inside BEGIN IMMEDIATE ... COMMIT, taking the write lock up
    // front so concurrent writers queue on the busy timeout instead of
    // failing with SQLITE_BUSY at commit. Rolls back if `body` throws.
    void write_transaction(const std::function<void()>& body);

    // Runs `body` inside BEGIN ... COMMIT so that all its queries read one
    // snapshot, and the read lock is taken once rather than per statement.
    // Inside a transaction already, just runs `body`.
    void read_transaction(const std::function<void()>& body);

    // Checkpoints and truncates the WAL so deleted content does not linger in
    // it, then VACUUMs so freed pages leave the file, and checkpoints again
    // (purge). Incomplete while another connection's read transaction keeps
    // an older snapshot alive: its pages stay in the WAL until it ends. The
    // checkpoint waits for such readers up to the busy timeout (30 s).
    struct ScrubResult {
        bool complete = true;
        std::string why; // set when incomplete
    };
    ScrubResult scrub();

private:
    Catalog(const std::filesystem::path& path, const std::string& name, int flags);
    static void require_cairn_file(const std::filesystem::path& path);
    void configure();
    void migrate();
    void transaction(const char* begin, const std::function<void()>& body);

    std::filesystem::path m_path;
    SQLite::Database m_db;
    sql::SqliteConnection m_sql{m_db};
};

// The current schema version (PRAGMA user_version after migration).
int latest_schema_version();

// A value of the instance_info table (instance_id, name, key_id), if set.
std::optional<std::string> instance_info(Catalog& c, const std::string& name);

} // namespace cairn::catalog
