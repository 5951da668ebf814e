#include "core/catalog/db/sqlite_connection.hpp"

#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

namespace cairn::catalog::db {

namespace {

class SqliteStatement final : public StatementImpl {
public:
    SqliteStatement(SQLite::Database& db, std::string_view sql) : m_q(db, std::string(sql)) {}

    int index_of(std::string_view name) const override {
        return m_q.getIndex((":" + std::string(name)).c_str());
    }
    void bind_null(int i) override { m_q.bind(i); }
    void bind_int(int i, int64_t v) override { m_q.bind(i, v); }
    void bind_double(int i, double v) override { m_q.bind(i, v); }
    void bind_text(int i, std::string_view v) override { m_q.bind(i, std::string(v)); }
    void bind_blob(int i, std::span<const std::byte> v) override {
        m_q.bind(i, v.data(), static_cast<int>(v.size()));
    }
    bool step() override { return m_q.executeStep(); }
    int64_t run() override { return m_q.exec(); }
    void reset() override { m_q.reset(); }
    void clear_bindings() override { m_q.clearBindings(); }
    int column_count() const override { return m_q.getColumnCount(); }
    bool is_null(int c) const override { return m_q.getColumn(c).isNull(); }
    bool is_blob(int c) const override { return m_q.getColumn(c).getType() == SQLITE_BLOB; }
    int64_t get_int(int c) const override { return m_q.getColumn(c).getInt64(); }
    double get_double(int c) const override { return m_q.getColumn(c).getDouble(); }
    std::string get_text(int c) const override { return m_q.getColumn(c).getString(); }
    std::span<const std::byte> get_blob(int c) const override {
        const auto col = m_q.getColumn(c);
        return {static_cast<const std::byte*>(col.getBlob()), static_cast<size_t>(col.getBytes())};
    }

private:
    SQLite::Statement m_q;
};

} // namespace

std::unique_ptr<StatementImpl> SqliteConnection::prepare(std::string_view sql) {
    return std::make_unique<SqliteStatement>(m_db, sql);
}

void SqliteConnection::execute(std::string_view sql) { m_db.exec(std::string(sql)); }

} // namespace cairn::catalog::db
