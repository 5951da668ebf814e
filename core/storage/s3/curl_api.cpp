#include "core/storage/s3/curl_api.hpp"

#include "core/util/dl.hpp"
#include "core/util/error.hpp"

#include <mutex>
#include <string>

namespace cairn::storage::s3 {

namespace {

CurlApi load() {
    void* lib = dl::open_library("libcurl.so.4", "for remote storage", "libcurl4");
    auto bind = [lib](auto& fn, const char* name) { dl::bind(lib, fn, name, "libcurl4"); };
    CurlApi api{};
    bind(api.global_init, "curl_global_init");
    bind(api.easy_init, "curl_easy_init");
    bind(api.easy_cleanup, "curl_easy_cleanup");
    bind(api.easy_reset, "curl_easy_reset");
    bind(api.easy_setopt, "curl_easy_setopt");
    bind(api.easy_perform, "curl_easy_perform");
    bind(api.easy_getinfo, "curl_easy_getinfo");
    bind(api.easy_strerror, "curl_easy_strerror");
    bind(api.slist_append, "curl_slist_append");
    bind(api.slist_free_all, "curl_slist_free_all");
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
