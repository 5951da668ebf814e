#include "core/catalog/db/pg_errors.hpp"

namespace cairn::catalog::db {

namespace {

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

bool in_class(const std::string& sqlstate, const char* cls) { return sqlstate.rfind(cls, 0) == 0; }

} // namespace

DbError pg_error(const std::string& sqlstate, const std::string& message) {
    const std::string what = "PostgreSQL catalog: " + trimmed(message) + " (SQLSTATE " + sqlstate + ")";
    if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014")
        return {ErrorKind::conflict, sqlstate, what, "another cairn held the rows too long; run the command again"};
    if (in_class(sqlstate, "23"))
        return {ErrorKind::conflict, sqlstate, what, "the catalog changed meanwhile; run the command again"};
    if (sqlstate == "42501" || sqlstate == "25006" || in_class(sqlstate, "28"))
        return {ErrorKind::permission, sqlstate, what,
                "this database login may not do that: see docs/TEAMS.md for each role's grants"};
    if (in_class(sqlstate, "53"))
        return {ErrorKind::storage, sqlstate, what, "the database server is out of disk, memory or connections"};
    if (in_class(sqlstate, "08") || in_class(sqlstate, "57P"))
        return {ErrorKind::storage, sqlstate, what, "check that the database server is up and reachable"};
    return {ErrorKind::internal, sqlstate, what, ""};
}

DbError pg_connect_error(const std::string& libpq_message) {
    return {ErrorKind::storage, "08001", "cannot connect to the PostgreSQL catalog: " + trimmed(libpq_message),
            "check the server, the URL and libpq's settings (PGPASSFILE, PGSERVICEFILE, PGSSLMODE)"};
}

} // namespace cairn::catalog::db
