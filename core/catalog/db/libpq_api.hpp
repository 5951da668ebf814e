#pragma once
// libpq, loaded on first use, as libcurl is (core/storage/s3/curl_api.hpp):
// linking it would make every command, even on a local SQLite instance,
// load libpq and what it pulls in (Kerberos, LDAP, TLS). Only an instance
// whose catalog is in PostgreSQL opens it.
#include <libpq-fe.h>

namespace cairn::catalog::db {

struct LibpqApi {
    PGconn* (*connectdb)(const char* conninfo);
    ConnStatusType (*status)(const PGconn*);
    char* (*error_message)(const PGconn*);
    void (*finish)(PGconn*);
    PGresult* (*exec)(PGconn*, const char* query);
    PGresult* (*exec_params)(PGconn*, const char* command, int n_params, const Oid* types,
                             const char* const* values, const int* lengths, const int* formats, int result_format);
    ExecStatusType (*result_status)(const PGresult*);
    char* (*result_error_field)(const PGresult*, int field);
    int (*ntuples)(const PGresult*);
    int (*nfields)(const PGresult*);
    char* (*getvalue)(const PGresult*, int row, int column);
    int (*getlength)(const PGresult*, int row, int column);
    int (*getisnull)(const PGresult*, int row, int column);
    Oid (*ftype)(const PGresult*, int column);
    char* (*cmd_tuples)(PGresult*);
    void (*clear)(PGresult*);
    int (*ssl_in_use)(PGconn*);
    PGTransactionStatusType (*transaction_status)(const PGconn*);
    char* (*host)(const PGconn*);
    char* (*port)(const PGconn*);
    char* (*db)(const PGconn*);
};

// Loads libpq once (thread-safe). Throws Error(config) naming the library
// when it cannot be loaded.
const LibpqApi& libpq();

} // namespace cairn::catalog::db
