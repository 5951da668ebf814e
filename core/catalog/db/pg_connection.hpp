#pragma once
// The PostgreSQL side of statement.hpp, through libpq (loaded on first use).
// Connection settings follow libpq's conventions: a postgresql:// URL or
// key=value string, completed by PGHOST, PGPASSFILE, PGSERVICEFILE,
// PGSSLMODE...; cairn never stores or prints a password.
#include "core/catalog/db/statement.hpp"

#include <string>

typedef struct pg_conn PGconn;

namespace cairn::catalog::db {

class PgConnection final : public Connection {
public:
    // Throws Error(storage) when the server cannot be reached or refuses.
    explicit PgConnection(const std::string& conninfo);
    ~PgConnection() override;
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    Dialect dialect() const override { return Dialect::postgresql; }
    std::unique_ptr<StatementImpl> prepare(std::string_view sql) override;
    void execute(std::string_view sql) override;
    bool in_transaction() const override;
    // Whether the connection is encrypted (TLS).
    bool encrypted() const;
    // "host:port/database" as connected (no user, no password).
    std::string describe() const;

private:
    PGconn* m_conn = nullptr;
};

} // namespace cairn::catalog::db
