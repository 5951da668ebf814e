#include "core/storage/s3/curl_api.hpp"

#include "core/util/error.hpp"

#include <dlfcn.h>
#include <mutex>
#include <string>

namespace cairn::storage::s3 {

namespace {

template <class F> void bind(void* lib, F& fn, const char* name) {
    void* sym = ::dlsym(lib, name);
    if (!sym) throw Error(ErrorKind::config, std::string("libcurl lacks ") + name, "install a current libcurl4");
    fn = reinterpret_cast<F>(sym);
}

CurlApi load() {
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        throw Error(ErrorKind::config, std::string("cannot load libcurl for remote storage: ") + ::dlerror(),
                    "install it: apt-get install libcurl4");
    CurlApi api{};
    bind(lib, api.global_init, "curl_global_init");
    bind(lib, api.easy_init, "curl_easy_init");
    bind(lib, api.easy_cleanup, "curl_easy_cleanup");
    bind(lib, api.easy_reset, "curl_easy_reset");
    bind(lib, api.easy_setopt, "curl_easy_setopt");
    bind(lib, api.easy_perform, "curl_easy_perform");
    bind(lib, api.easy_getinfo, "curl_easy_getinfo");
    bind(lib, api.easy_strerror, "curl_easy_strerror");
    bind(lib, api.slist_append, "curl_slist_append");
    bind(lib, api.slist_free_all, "curl_slist_free_all");
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        throw Error(ErrorKind::internal, "libcurl failed to initialise");
    return api; // the library stays loaded for the life of the process
}

} // namespace

const CurlApi& curl_api() {
    static const CurlApi k_api = load(); // C++ guarantees one thread-safe initialisation
    return k_api;
}

} // namespace cairn::storage::s3
