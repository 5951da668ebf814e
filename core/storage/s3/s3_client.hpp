#pragma once
// Signs and sends S3 requests and turns unsuccessful answers into storage
// Failures with messages that never contain credentials. Holds a pool of
// HTTP clients so concurrent callers (and multipart workers) each use their
// own curl handle and connections are reused.
#include "core/storage/backend.hpp"
#include "core/storage/s3/credentials.hpp"
#include "core/storage/s3/http.hpp"
#include "core/storage/s3/s3_config.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cairn::storage::s3 {

struct S3Call {
    std::string method = "GET";
    std::string key; // full object key (prefix included); "" = the bucket
    Params query;
    Params headers;      // extra headers, signed
    std::string subject; // object name for messages ("" for bucket calls)
    std::string_view body;
    int upload_fd = -1;
    uint64_t upload_offset = 0;
    uint64_t upload_length = 0;
    std::string payload_hash; // required with upload_fd; computed for `body`
    int download_fd = -1;
};

class S3Client {
  public:
    S3Client(S3Config config, Credentials credentials, HttpOptions http);

    const S3Config& config() const { return m_config; }

    // Sends the call; any HTTP status is returned, only transport problems
    // are failures.
    Result<HttpResponse> send(const S3Call& call);
    // Like send, but a non-2xx status is a failure too.
    Result<HttpResponse> send_ok(const S3Call& call);
    // The failure an unsuccessful response stands for.
    Failure failure_of(const HttpResponse& response, const S3Call& call) const;

  private:
    std::unique_ptr<HttpClient> acquire();
    void release(std::unique_ptr<HttpClient> client);

    S3Config m_config;
    Credentials m_credentials;
    HttpOptions m_http;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<HttpClient>> m_idle;
};

// The S3 error code of a response ("NoSuchKey", ...), or "" if none.
std::string error_code(const HttpResponse& response);

} // namespace cairn::storage::s3
