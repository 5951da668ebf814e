#pragma once
// The SQLite side of statement.hpp, over a database the catalog opened
// (catalog.cpp configures it: WAL, busy timeout, foreign keys).
#include "core/catalog/db/statement.hpp"

#include <SQLiteCpp/Database.h>

namespace cairn::catalog::db {

class SqliteConnection final : public Connection {
public:
    explicit SqliteConnection(SQLite::Database& db) : m_db(db) {}
    Dialect dialect() const override { return Dialect::sqlite; }
    std::unique_ptr<StatementImpl> prepare(std::string_view sql) override;
    void execute(std::string_view sql) override;
    bool in_transaction() const override;

private:
    SQLite::Database& m_db;
};

} // namespace cairn::catalog::db
