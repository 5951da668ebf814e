#include "core/catalog/db/libpq_api.hpp"

#include "core/util/dl.hpp"
#include "core/util/error.hpp"

#include <string>

namespace cairn::catalog::db {

namespace {

LibpqApi load() {
    void* lib = dl::open_library("libpq.so.5", "for a PostgreSQL catalog", "libpq5");
    auto bind = [lib](auto& fn, const char* name) { dl::bind(lib, fn, name, "libpq5"); };
    LibpqApi api{};
    bind(api.connectdb, "PQconnectdb");
    bind(api.status, "PQstatus");
    bind(api.error_message, "PQerrorMessage");
    bind(api.finish, "PQfinish");
    bind(api.exec, "PQexec");
    bind(api.exec_params, "PQexecParams");
    bind(api.result_status, "PQresultStatus");
    bind(api.result_error_field, "PQresultErrorField");
    bind(api.ntuples, "PQntuples");
    bind(api.nfields, "PQnfields");
    bind(api.getvalue, "PQgetvalue");
    bind(api.getlength, "PQgetlength");
    bind(api.getisnull, "PQgetisnull");
    bind(api.ftype, "PQftype");
    bind(api.cmd_tuples, "PQcmdTuples");
    bind(api.clear, "PQclear");
    bind(api.ssl_in_use, "PQsslInUse");
    bind(api.transaction_status, "PQtransactionStatus");
    bind(api.host, "PQhost");
    bind(api.port, "PQport");
    bind(api.db, "PQdb");
    return api; // the library stays loaded for the life of the process
}

} // namespace

const LibpqApi& libpq() {
    static const LibpqApi k_api = load();
    return k_api;
}

} // namespace cairn::catalog::db
