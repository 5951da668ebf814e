#include "core/catalog/db/libpq_api.hpp"

#include "core/util/error.hpp"

#include <dlfcn.h>
#include <string>

namespace cairn::catalog::db {

namespace {

template <class F> void bind(void* lib, F& fn, const char* name) {
    void* sym = ::dlsym(lib, name);
    if (!sym) throw Error(ErrorKind::config, std::string("libpq lacks ") + name, "install a current libpq5");
    fn = reinterpret_cast<F>(sym);
}

LibpqApi load() {
    void* lib = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        throw Error(ErrorKind::config, std::string("cannot load libpq for a PostgreSQL catalog: ") + ::dlerror(),
                    "install it: apt-get install libpq5");
    LibpqApi api{};
    bind(lib, api.connectdb, "PQconnectdb");
    bind(lib, api.status, "PQstatus");
    bind(lib, api.error_message, "PQerrorMessage");
    bind(lib, api.finish, "PQfinish");
    bind(lib, api.exec, "PQexec");
    bind(lib, api.exec_params, "PQexecParams");
    bind(lib, api.result_status, "PQresultStatus");
    bind(lib, api.result_error_field, "PQresultErrorField");
    bind(lib, api.ntuples, "PQntuples");
    bind(lib, api.nfields, "PQnfields");
    bind(lib, api.getvalue, "PQgetvalue");
    bind(lib, api.getlength, "PQgetlength");
    bind(lib, api.getisnull, "PQgetisnull");
    bind(lib, api.ftype, "PQftype");
    bind(lib, api.cmd_tuples, "PQcmdTuples");
    bind(lib, api.clear, "PQclear");
    bind(lib, api.ssl_in_use, "PQsslInUse");
    bind(lib, api.host, "PQhost");
    return api; // the library stays loaded for the life of the process
}

} // namespace

const LibpqApi& libpq() {
    static const LibpqApi k_api = load();
    return k_api;
}

} // namespace cairn::catalog::db
