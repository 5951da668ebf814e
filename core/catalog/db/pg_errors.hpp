#pragma once
// What a PostgreSQL error means to the user: SQLSTATE classes become the
// documented exit codes (man/cairn.1), as catalog/errors.hpp does for
// SQLite. Messages are the server's primary message, never the conninfo.
#include "core/util/error.hpp"

#include <string>

namespace cairn::catalog::db {

// An error the database reported, with its SQLSTATE (five characters).
class DbError : public Error {
public:
    DbError(ErrorKind kind, std::string sqlstate, std::string message, std::string hint)
        : Error(kind, std::move(message), std::move(hint)), m_sqlstate(std::move(sqlstate)) {}
    const std::string& sqlstate() const { return m_sqlstate; }
    // 23505: a row with that key exists already.
    bool unique_violation() const { return m_sqlstate == "23505"; }

private:
    std::string m_sqlstate;
};

DbError pg_error(const std::string& sqlstate, const std::string& message);
DbError pg_connect_error(const std::string& libpq_message);

} // namespace cairn::catalog::db
