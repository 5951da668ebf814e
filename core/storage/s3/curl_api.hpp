#pragma once
// libcurl, loaded on first use. libcurl pulls in some twenty libraries
// (TLS, Kerberos, LDAP, SSH, ...); linking it directly made every cairn
// command, even `cairn --version` or `cairn ls` on a local instance, pay
// ~25 ms of dynamic loading. Only remote storage needs it, so it is opened
// with dlopen() the first time an S3/GCS request is made.
#include <curl/curl.h>

namespace cairn::storage::s3 {

struct CurlApi {
    CURLcode (*global_init)(long flags);
    CURL* (*easy_init)();
    void (*easy_cleanup)(CURL*);
    void (*easy_reset)(CURL*);
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
    CURLcode (*easy_perform)(CURL*);
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
    const char* (*easy_strerror)(CURLcode);
    curl_slist* (*slist_append)(curl_slist*, const char*);
    void (*slist_free_all)(curl_slist*);
};

// Loads libcurl once (thread-safe) and runs curl_global_init. Throws
// cairn::Error(config) naming the library when it cannot be loaded.
const CurlApi& curl_api();

} // namespace cairn::storage::s3
