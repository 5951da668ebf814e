#include "core/catalog/catalog.hpp"

#include "core/catalog/errors.hpp"

#include "core/catalog/db/pg_connection.hpp"
#include "core/catalog/schema.hpp"
#include "core/util/error.hpp"

#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>
#include <cctype>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::catalog {

namespace {
constexpr int k_busy_timeout_ms = 30'000;
}

int latest_schema_version() { return static_cast<int>(migration_count()); }

Catalog::Catalog(const std::filesystem::path& path, const std::string& name, int flags)
    : m_path(path), m_dir(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path()),
      m_name("catalog " + path.string()), m_db(std::make_unique<SQLite::Database>(name, flags, k_busy_timeout_ms)),
      m_sql(std::make_unique<sql::SqliteConnection>(*m_db)) {}

Catalog::Catalog(std::unique_ptr<sql::Connection> connection, const std::filesystem::path& dir, std::string name)
    : m_dir(dir), m_name(std::move(name)), m_sql(std::move(connection)) {}

SQLite::Database& Catalog::db() {
    if (!m_db) throw Error(ErrorKind::internal, "an SQLite-only operation on " + m_name);
    return *m_db;
}

namespace {

const char* const k_restore = "restore .cairn/ from a backup; only 'cairn init' creates a catalog";

// A file: URI for SQLite: everything but unreserved characters and '/'
// percent-encoded, so '?', '#' and '%' in a path stay part of it.
std::string file_uri(const std::filesystem::path& path, const char* query) {
    static const char* const k_hex = "0123456789ABCDEF";
    std::string out = "file:";
    for (unsigned char c : std::filesystem::absolute(path).string()) {
        if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += k_hex[c >> 4];
            out += k_hex[c & 15];
        }
    }
    return out + "?" + query;
}

} // namespace

// Only init creates a catalog: SQLite would take an empty file for a new
// database and migrate() would give it a fresh schema and an empty audit
// trail, silently resetting the instance.
void Catalog::require_cairn_file(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path))
        throw Error(ErrorKind::config, "catalog " + path.string() + " does not exist",
                    "run 'cairn init' to create an instance");
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) == 0 && !ec)
        throw Error(ErrorKind::integrity, "catalog " + path.string() + " is empty (0 bytes): it was truncated or replaced",
                    k_restore);
}

std::unique_ptr<Catalog> Catalog::open_read_only(const std::filesystem::path& path) {
    require_cairn_file(path);
    const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    const bool writable = ::access(dir.c_str(), W_OK) == 0 && ::access(path.c_str(), W_OK) == 0;
    std::error_code ec;
    const auto wal = path.string() + "-wal";
    if (!writable && std::filesystem::exists(wal, ec) && std::filesystem::file_size(wal, ec) > 0)
        throw Error(ErrorKind::config,
                    "read-only catalog " + path.string() + " has a non-empty WAL, which a read-only open cannot use",
                    "copy the instance when no cairn command is running, or verify a writable copy");
    std::unique_ptr<Catalog> catalog;
    try {
        // Immutable: no locks and no -shm, which a read-only directory cannot
        // hold; right for a copy nobody writes.
        catalog.reset(new Catalog(path, file_uri(path, writable ? "mode=ro" : "immutable=1"),
                                  SQLite::OPEN_READONLY | SQLite::OPEN_URI));
        const int version = catalog->schema_version();
        if (version == 0)
            throw Error(ErrorKind::integrity, "catalog " + path.string() + " is not a cairn catalog (it has no schema)",
                        k_restore);
        if (version > latest_schema_version())
            throw Error(ErrorKind::config, "catalog " + path.string() + " has schema version " + std::to_string(version) +
                                               ", newer than this cairn supports", "upgrade cairn");
        // Its queries name columns an older schema lacks, and a read-only
        // open cannot migrate (which would also change the auditor's copy).
        if (version < latest_schema_version())
            throw Error(ErrorKind::config,
                        "catalog " + path.string() + " has schema version " + std::to_string(version) +
                            ", older than this cairn's " + std::to_string(latest_schema_version()) +
                            ", and a read-only open cannot upgrade it",
                        "run any cairn command (e.g. 'cairn ls') on a writable copy first, or use the cairn that wrote it");
    } catch (const SQLite::Exception& e) {
        throw Error(ErrorKind::config, "cannot open catalog " + path.string() + " read-only: " + e.what(),
                    "check the file is a cairn catalog and is not corrupt");
    }
    return catalog;
}

std::unique_ptr<Catalog> Catalog::open(const std::filesystem::path& path, bool create) {
    if (!create) require_cairn_file(path);
    int flags = SQLite::OPEN_READWRITE | (create ? SQLite::OPEN_CREATE : 0);
    std::unique_ptr<Catalog> catalog;
    try {
        catalog.reset(new Catalog(path, path.string(), flags));
        // SQLite opens a file this account cannot write read-only; every
        // command that opens for writing records an audit event, so it stops
        // here, before it reads or shows anything.
        if (sqlite3_db_readonly(catalog->db().getHandle(), "main") == 1) throw read_only_catalog(path);
        if (create) ::chmod(path.c_str(), 0600);
        const int version = catalog->schema_version();
        if (!create && version == 0)
            throw Error(ErrorKind::integrity, "catalog " + path.string() + " is not a cairn catalog (it has no schema)",
                        k_restore);
        catalog->configure();
        if (version != latest_schema_version()) catalog->migrate();
    } catch (const SQLite::Exception& e) {
        throw Error(ErrorKind::config, "cannot open catalog " + path.string() + ": " + e.what(),
                    "check the file is a cairn catalog and is not corrupt");
    }
    return catalog;
}

std::unique_ptr<Catalog> Catalog::open_postgres(const std::string& conninfo, const std::filesystem::path& dir,
                                                 bool create) {
    auto connection = std::make_unique<sql::PgConnection>(conninfo);
    const std::string name = "PostgreSQL catalog " + connection->describe();
    std::unique_ptr<Catalog> catalog(new Catalog(std::move(connection), dir, name));
    if (create) return catalog;
    const int version = catalog->schema_version();
    if (version == 0)
        throw Error(ErrorKind::config, name + " has no cairn schema",
                    "run 'cairn init --catalog URL' to create an instance there, or check the database name");
    if (version != latest_schema_version()) catalog->migrate(); // it reads the version again, under the lock
    return catalog;
}

void Catalog::configure() {
    // Keep catalog.db-wal and catalog.db-shm between commands instead of
    // deleting them when the last connection closes and creating them again
    // in the next command (~5 ms a command on ext4). The last connection to
    // close still checkpoints everything into catalog.db, so a copy of
    // catalog.db alone is complete, and journal_size_limit=0 then truncates
    // the WAL to zero bytes, so no old page lingers in it.
    int persist = 1;
    sqlite3_file_control(m_db->getHandle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    m_db->exec("PRAGMA journal_mode=WAL");
    m_db->exec("PRAGMA journal_size_limit=0");
    m_db->exec("PRAGMA synchronous=NORMAL");
    m_db->exec("PRAGMA foreign_keys=ON");
    m_db->exec("PRAGMA secure_delete=ON");
}

// SQLite keeps the version in the file header (PRAGMA user_version);
// PostgreSQL in a one-row table, absent (version 0) before the first
// migration.
int Catalog::schema_version() {
    if (m_db) return m_db->execAndGet("PRAGMA user_version").getInt();
    sql::Statement exists(*m_sql, "SELECT to_regclass('cairn_schema_version') IS NOT NULL");
    if (!exists.executeStep() || exists.getColumn(0).getInt() == 0) return 0;
    sql::Statement q(*m_sql, "SELECT version FROM cairn_schema_version");
    return q.executeStep() ? q.getColumn(0).getInt() : 0;
}

void Catalog::set_schema_version(int version) {
    if (m_db) {
        m_db->exec("PRAGMA user_version=" + std::to_string(version));
        return;
    }
    m_sql->execute("CREATE TABLE IF NOT EXISTS cairn_schema_version (version BIGINT NOT NULL);"
                   "DELETE FROM cairn_schema_version");
    sql::Statement q(*m_sql, "INSERT INTO cairn_schema_version (version) VALUES (?)");
    q.bind(1, version);
    q.exec();
}

void Catalog::migrate() {
    if (schema_version() == latest_schema_version()) return;
    const auto apply = [&] {
        // Re-read inside the lock: another process may have migrated meanwhile.
        int version = schema_version();
        if (version > latest_schema_version())
            throw Error(ErrorKind::config,
                        m_name + " has schema version " +
                            std::to_string(version) + ", newer than this cairn supports",
                        "upgrade cairn");
        for (int v = version; v < latest_schema_version(); ++v)
            m_sql->execute(migration_sql(static_cast<size_t>(v), m_sql->dialect()));
        set_schema_version(latest_schema_version());
    };
    // In the caller's write transaction (init's), or in one of its own.
    if (m_sql->in_transaction()) return apply();
    write_transaction(apply);
}

// Every writer of one PostgreSQL catalog takes this lock first (the
// advisory lock space is per database): one writer at a time, as on SQLite.
// Statements then read under READ COMMITTED what every earlier writer
// committed, as BEGIN IMMEDIATE does.
constexpr const char* k_pg_write_begin = "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(1667330418)";

void Catalog::write_transaction(const std::function<void()>& body) {
    transaction(m_db ? "BEGIN IMMEDIATE" : k_pg_write_begin, body);
}

void Catalog::read_transaction(const std::function<void()>& body) {
    if (m_sql->in_transaction()) return body();
    transaction(m_db ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ", body);
}

void Catalog::transaction(const char* begin, const std::function<void()>& body) {
    // SQLite refuses a nested BEGIN; PostgreSQL only warns, and the inner
    // COMMIT would commit the outer transaction's work early: refuse both.
    if (m_sql->in_transaction())
        throw Error(ErrorKind::internal, "a catalog transaction was opened inside another",
                    "this is a bug in cairn; the command's changes to the catalog were rolled back");
    m_sql->execute(begin);
    try {
        body();
        m_sql->execute("COMMIT");
    } catch (...) {
        m_write_once_info.clear(); // may hold what the rollback undoes
        try {
            m_sql->execute("ROLLBACK");
        } catch (...) {
            // The original error is more useful than a failed rollback.
        }
        throw;
    }
}

bool Catalog::try_session_lock(SessionLock lock) {
    if (m_db) return true;
    sql::Statement q(*m_sql, "SELECT pg_try_advisory_lock(?)");
    q.bind(1, static_cast<int64_t>(lock));
    return q.executeStep() && q.getColumn(0).getInt() != 0;
}

Catalog::ScrubResult Catalog::scrub() {
    if (!m_db)
        return {false, m_name + " keeps deleted rows in dead tuples until VACUUM, and in its write-ahead log, "
                                "replicas and backups, which cairn can neither read nor scrub"};
    // A checkpoint reports busy (first column 1) rather than failing when a
    // reader keeps it from copying every frame back and truncating the WAL.
    // The first checkpoint only shrinks what VACUUM copies, so it does not
    // wait for readers; the last one waits up to the busy timeout.
    auto checkpoint = [&](const char* mode) {
        SQLite::Statement q(*m_db, std::string("PRAGMA wal_checkpoint(") + mode + ")");
        return q.executeStep() && q.getColumn(0).getInt() == 0;
    };
    checkpoint("PASSIVE");
    m_db->exec("VACUUM");
    const bool checkpointed = checkpoint("TRUNCATE");
    std::error_code ec;
    const std::filesystem::path wal = m_path.string() + "-wal";
    const auto wal_size = std::filesystem::exists(wal, ec) ? std::filesystem::file_size(wal, ec) : 0;
    if (checkpointed && !ec && wal_size == 0) return {};
    return {false, "another process holds a read transaction on " + m_path.string() +
                       " (a cairn command or an sqlite3 session), so the old pages stay in " + wal.string() +
                       " until it ends"};
}

std::optional<std::string> Catalog::write_once_info(const std::string& name, Read read) {
    if (const auto known = m_write_once_info.find(name); known != m_write_once_info.end() && read == Read::cached)
        return known->second;
    auto value = instance_info(*this, name);
    if (value) m_write_once_info.insert_or_assign(name, *value);
    else m_write_once_info.erase(name);
    return value;
}

std::optional<std::string> instance_info(Catalog& c, const std::string& name) {
    sql::Statement q(c.sql(), "SELECT value FROM instance_info WHERE name = ?");
    q.bind(1, name);
    if (!q.executeStep()) return std::nullopt;
    return q.getColumn(0).getString();
}

} // namespace cairn::catalog
