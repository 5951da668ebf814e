#include "core/catalog/db/sqlite_connection.hpp"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

namespace cairn::catalog::db {

namespace {

// Straight on SQLite's C API: audit verify reads every column of millions
// of rows through here, and SQLiteCpp's Column objects cost a shared_ptr
// copy each. Errors are SQLite::Exception, as from the rest of SQLiteCpp,
// so catalog/errors.cpp maps them to exit codes in one place.
class SqliteStatement final : public StatementImpl {
public:
    SqliteStatement(sqlite3* db, std::string_view sql) : m_db(db) {
        if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &m_stmt, nullptr) != SQLITE_OK)
            throw SQLite::Exception(db);
    }
    ~SqliteStatement() override { sqlite3_finalize(m_stmt); }
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    int index_of(std::string_view name) const override {
        return sqlite3_bind_parameter_index(m_stmt, (":" + std::string(name)).c_str());
    }
    void bind_null(int i) override { check(sqlite3_bind_null(m_stmt, i)); }
    void bind_int(int i, int64_t v) override { check(sqlite3_bind_int64(m_stmt, i, v)); }
    void bind_double(int i, double v) override { check(sqlite3_bind_double(m_stmt, i, v)); }
    void bind_text(int i, std::string_view v) override {
        check(sqlite3_bind_text64(m_stmt, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    }
    void bind_blob(int i, std::span<const std::byte> v) override {
        // A zero-length blob, not NULL, even when data() is null.
        static const std::byte k_empty{};
        check(sqlite3_bind_blob64(m_stmt, i, v.empty() ? &k_empty : v.data(), v.size(), SQLITE_TRANSIENT));
    }
    bool step() override {
        const int rc = sqlite3_step(m_stmt);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw SQLite::Exception(m_db, rc);
    }
    int64_t run() override {
        while (step()) {
        }
        return sqlite3_changes64(m_db);
    }
    void reset() override { check(sqlite3_reset(m_stmt)); }
    void clear_bindings() override { check(sqlite3_clear_bindings(m_stmt)); }
    int column_count() const override { return sqlite3_column_count(m_stmt); }
    bool is_null(int c) const override { return sqlite3_column_type(m_stmt, c) == SQLITE_NULL; }
    Kind kind(int c) const override {
        switch (sqlite3_column_type(m_stmt, c)) {
        case SQLITE_INTEGER: return Kind::integer;
        case SQLITE_FLOAT: return Kind::real;
        case SQLITE_BLOB: return Kind::blob;
        case SQLITE_NULL: return Kind::null;
        default: return Kind::text;
        }
    }
    // One sqlite3_column_value() and the value API, which takes no mutex,
    // instead of two or three sqlite3_column_* calls that each do.
    Value value(int c) const override {
        sqlite3_value* v = sqlite3_column_value(m_stmt, c);
        Value out;
        switch (sqlite3_value_type(v)) {
        case SQLITE_INTEGER:
            out.kind = Kind::integer;
            out.integer = sqlite3_value_int64(v);
            return out;
        case SQLITE_NULL: return out;
        case SQLITE_BLOB: {
            out.kind = Kind::blob;
            const auto* p = static_cast<const char*>(sqlite3_value_blob(v));
            out.bytes = p ? std::string_view(p, static_cast<size_t>(sqlite3_value_bytes(v))) : std::string_view();
            return out;
        }
        default: {
            out.kind = sqlite3_value_type(v) == SQLITE_FLOAT ? Kind::real : Kind::text;
            const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
            out.bytes = p ? std::string_view(p, static_cast<size_t>(sqlite3_value_bytes(v))) : std::string_view();
            return out;
        }
        }
    }
    int64_t get_int(int c) const override { return sqlite3_column_int64(m_stmt, c); }
    double get_double(int c) const override { return sqlite3_column_double(m_stmt, c); }
    std::string_view get_text(int c) const override {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, c));
        return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, c))) : std::string_view();
    }
    std::span<const std::byte> get_blob(int c) const override {
        const auto* p = static_cast<const std::byte*>(sqlite3_column_blob(m_stmt, c));
        return p ? std::span(p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, c))) : std::span<const std::byte>();
    }

private:
    void check(int rc) const {
        if (rc != SQLITE_OK) throw SQLite::Exception(m_db, rc);
    }

    sqlite3* m_db;
    sqlite3_stmt* m_stmt = nullptr;
};

} // namespace

std::unique_ptr<StatementImpl> SqliteConnection::prepare(std::string_view sql) {
    return std::make_unique<SqliteStatement>(m_db.getHandle(), sql);
}

void SqliteConnection::execute(std::string_view sql) { m_db.exec(std::string(sql)); }

bool SqliteConnection::in_transaction() const { return sqlite3_get_autocommit(m_db.getHandle()) == 0; }

} // namespace cairn::catalog::db
