#pragma once
// The catalog: by default one SQLite file per instance (.cairn/catalog.db),
// opened in WAL mode with a busy timeout so many processes can share it,
// foreign keys on, and secure_delete on so freed pages are zeroed (purge
// relies on it). A team's instance keeps it in PostgreSQL instead
// (open_postgres), shared by many machines; the same SQL runs on both.
#include "core/catalog/db/sqlite_connection.hpp"
#include "core/catalog/read.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <filesystem>
#include <functional>
#include <map>
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
    // A shared catalog in PostgreSQL (`conninfo`: a postgresql:// URL or
    // libpq key=value string, completed by PG* variables and files); `dir`
    // is the local .cairn directory (config, audit keys). Without `create`
    // the database must hold cairn's schema, migrated here if older; with
    // it, the caller migrates (init, in the transaction that records the
    // instance, so a failed init leaves the database as it was).
    static std::unique_ptr<Catalog> open_postgres(const std::string& conninfo, const std::filesystem::path& dir,
                                                  bool create = false);

    // Brings the schema to this cairn's version, inside the caller's write
    // transaction if one is open (never call it in a read transaction).
    void migrate();

    // Every statement of the catalog's tables goes through sql().
    sql::Connection& sql() { return *m_sql; }
    bool is_sqlite() const { return m_db != nullptr; }
    // The SQLite database itself, for what only SQLite has (PRAGMAs, the
    // file's bytes). Throws an internal error on PostgreSQL.
    SQLite::Database& db();
    // The SQLite file (empty on PostgreSQL).
    const std::filesystem::path& path() const { return m_path; }
    // The .cairn directory of the instance (its config and audit keys).
    const std::filesystem::path& dir() const { return m_dir; }
    // How messages name the catalog: "catalog /x/.cairn/catalog.db" or
    // "PostgreSQL catalog host:port/db" (never a password).
    const std::string& name() const { return m_name; }
    int schema_version();

    // Runs `body` inside BEGIN IMMEDIATE ... COMMIT, taking the write lock up
    // front so concurrent writers queue on the busy timeout instead of
    // failing with SQLITE_BUSY at commit. Rolls back if `body` throws. On
    // PostgreSQL the lock is a transaction-scoped advisory lock, so writers
    // on every machine queue the same way (one at a time).
    void write_transaction(const std::function<void()>& body);

    // Runs `body` inside BEGIN ... COMMIT so that all its queries read one
    // snapshot, and the read lock is taken once rather than per statement.
    // Inside a transaction already, just runs `body`. (PostgreSQL:
    // REPEATABLE READ, one snapshot.)
    void read_transaction(const std::function<void()>& body);

    // Which of the catalog's whole-instance locks (beyond one writer at a
    // time, above) a process takes for as long as it runs.
    enum class SessionLock : int64_t { purge_run = 1667330419 };
    // Takes `lock` without waiting, for as long as this catalog stays open
    // (on PostgreSQL a session advisory lock, which the server releases when
    // the connection ends, however the process ends); false when another
    // process holds it, on this machine or any other. On SQLite, whose
    // processes share one machine, there is nothing to take here: true.
    bool try_session_lock(SessionLock lock);

    // Checkpoints and truncates the WAL so deleted content does not linger in
    // it, then VACUUMs so freed pages leave the file, and checkpoints again
    // (purge). Incomplete while another connection's read transaction keeps
    // an older snapshot alive: its pages stay in the WAL until it ends. The
    // checkpoint waits for such readers up to the busy timeout (30 s).
    // Always incomplete on PostgreSQL, whose dead tuples, WAL and backups
    // cairn cannot scrub (docs/SECURITY.md).
    struct ScrubResult {
        bool complete = true;
        std::string why; // set when incomplete
    };
    ScrubResult scrub();

    // An instance_info value that is written once and never changed (the
    // instance id, the seq from which the trail is signed or keyed), read
    // from the database once per open catalog: a save on PostgreSQL read the
    // instance id three times, a round trip each. A value first read in a
    // transaction that then rolls back is read again next time. Checks
    // (audit verify, the host head) read with Read::now, so a value changed
    // behind this process's back is seen.
    std::optional<std::string> write_once_info(const std::string& name, Read read = Read::cached);

private:
    Catalog(const std::filesystem::path& path, const std::string& name, int flags);
    Catalog(std::unique_ptr<sql::Connection> connection, const std::filesystem::path& dir, std::string name);
    static void require_cairn_file(const std::filesystem::path& path);
    void configure();
    void set_schema_version(int version);
    void transaction(const char* begin, const std::function<void()>& body);

    std::filesystem::path m_path;
    std::filesystem::path m_dir;
    std::string m_name;
    std::unique_ptr<SQLite::Database> m_db;
    std::unique_ptr<sql::Connection> m_sql;
    std::map<std::string, std::string> m_write_once_info;
};

// The current schema version (PRAGMA user_version after migration).
int latest_schema_version();

// A value of the instance_info table (instance_id, name, key_id), if set,
// read now (see also Catalog::write_once_info).
std::optional<std::string> instance_info(Catalog& c, const std::string& name);

} // namespace cairn::catalog
