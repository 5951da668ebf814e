#pragma once
// A thin libcurl easy-handle wrapper: one request at a time per client,
// bodies streamed from a file descriptor (pread, so parts of one file can be
// sent in parallel) and responses streamed to a file descriptor, TLS >= 1.2
// with verification always on, no redirects, connect and low-speed timeouts.
// Transport failures come back as storage Failures (timeout / transient /
// error), never as exceptions.
#include "core/storage/backend.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::storage::s3 {

struct HttpOptions {
    long connect_timeout_s = 10;
    long low_speed_limit_bytes = 1024; // below this rate for low_speed_time_s: timeout
    long low_speed_time_s = 30;
    long total_timeout_s = 0; // 0: none (large objects take long)
    std::string ca_bundle;    // CA certificates file; empty: the system store
};

struct HttpRequest {
    std::string method = "GET"; // GET, HEAD, PUT, POST, DELETE
    std::string url;            // already encoded
    std::vector<std::pair<std::string, std::string>> headers;
    // Request body: either in memory or `upload_length` bytes of upload_fd
    // starting at upload_offset (read with pread; the descriptor's offset is
    // untouched).
    std::string_view body;
    int upload_fd = -1;
    uint64_t upload_offset = 0;
    uint64_t upload_length = 0;
    // Successful (2xx) response bodies go here when set; error bodies are
    // always kept in memory so they can be parsed.
    int download_fd = -1;
};

struct HttpResponse {
    long status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; // names lower-cased
    uint64_t downloaded = 0;                                  // bytes written to download_fd
    // The first header with this (lower-case) name, or "".
    std::string header(std::string_view name) const;
};

class HttpClient {
  public:
    explicit HttpClient(HttpOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Performs the request. Any HTTP status is a response; only transport
    // failures (refused, reset, timed out, TLS) are failures.
    Result<HttpResponse> perform(const HttpRequest& request);

  private:
    void* m_curl;
    HttpOptions m_options;
};

// Initialises libcurl once per process (thread-safe); HttpClient calls it.
void http_global_init();

} // namespace cairn::storage::s3
