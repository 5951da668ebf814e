#pragma once
// Where a team's catalog lives: a postgresql:// URL in config.yaml, checked
// before any connection. The rest of the connection settings follow libpq's
// conventions (PGPASSFILE, PGSERVICEFILE, PGSSLROOTCERT, ...); config.yaml
// never holds a password, so the URL may not either.
//
// TLS with the server's certificate and name verified (sslmode=verify-full)
// is the default; a weaker sslmode, from the URL or PGSSLMODE, is accepted
// only for a loopback or Unix-socket server with allow_plain set, as plain
// http is for S3 storage.
#include <string>

namespace cairn::catalog::db {

struct PgTarget {
    // For PQconnectdb: the URL, with sslmode=verify-full added when neither
    // it nor PGSSLMODE sets one, and gssencmode=disable when neither it nor
    // PGGSSENCMODE sets one.
    std::string conninfo;
};

// Throws Error(config) naming what is wrong and what to do.
PgTarget pg_target(const std::string& url, bool allow_plain);

// Whether `url` names a PostgreSQL catalog (postgresql:// or postgres://).
bool is_pg_url(const std::string& url);

} // namespace cairn::catalog::db
