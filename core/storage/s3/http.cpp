#include "core/storage/s3/http.hpp"

#include "core/util/error.hpp"

#include "core/storage/s3/curl_api.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <unistd.h>

namespace cairn::storage::s3 {

namespace {

// Responses kept in memory are XML listings and error documents; anything
// larger than this is not a sane answer (and get_range is bounded by its caller).
constexpr size_t k_max_memory_body = 64u << 20;

// PUT bodies up to this size are sent without waiting for "100 Continue".
constexpr curl_off_t k_expect_threshold = 1 << 20;

struct Transfer {
    const HttpRequest* request = nullptr;
    HttpResponse* response = nullptr;
    CURL* curl = nullptr;
    uint64_t sent = 0;
    bool write_failed = false;
    int write_errno = 0;
    // Stall detection (see on_progress).
    curl_off_t min_bytes = 0; // to move within every window
    std::chrono::seconds window{0};
    std::chrono::steady_clock::time_point window_start{};
    curl_off_t window_bytes = 0;
    bool stalled = false;
};

// The documented timeout: a request that moves less than low_speed_limit
// bytes a second for low_speed_time_s seconds, waiting for the answer
// included, is abandoned. libcurl's own low-speed check (kept as well)
// averages over its last few seconds, so a body sent in one burst kept a
// request alive for seconds after the server stopped answering. libcurl
// calls this at least once a second, whether or not bytes move.
int on_progress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
    auto* t = static_cast<Transfer*>(user);
    const auto now = std::chrono::steady_clock::now();
    const curl_off_t moved = dlnow + ulnow;
    if (moved - t->window_bytes >= t->min_bytes) { // enough since the window began: a new one
        t->window_start = now;
        t->window_bytes = moved;
        return 0;
    }
    if (now - t->window_start < t->window) return 0;
    t->stalled = true;
    return 1; // CURLE_ABORTED_BY_CALLBACK
}

size_t read_body(char* buf, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const HttpRequest& rq = *t->request;
    uint64_t total = rq.upload_fd >= 0 ? rq.upload_length : rq.body.size();
    size_t want = static_cast<size_t>(std::min<uint64_t>(size * n, total - t->sent));
    if (want == 0) return 0;
    if (rq.upload_fd < 0) {
        std::memcpy(buf, rq.body.data() + t->sent, want);
        t->sent += want;
        return want;
    }
    for (;;) {
        ssize_t got =
            ::pread(rq.upload_fd, buf, want, static_cast<off_t>(rq.upload_offset + t->sent));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return CURL_READFUNC_ABORT; // error or the file shrank under us
        t->sent += static_cast<uint64_t>(got);
        return static_cast<size_t>(got);
    }
}

int seek_body(void* user, curl_off_t offset, int origin) {
    auto* t = static_cast<Transfer*>(user);
    if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
    t->sent = static_cast<uint64_t>(offset);
    return CURL_SEEKFUNC_OK;
}

size_t write_body(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t len = size * n;
    long status = 0;
    curl_api().easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (t->request->download_fd >= 0 && status >= 200 && status < 300) {
        size_t done = 0;
        while (done < len) {
            ssize_t w = ::write(t->request->download_fd, data + done, len - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                t->write_failed = true;
                t->write_errno = errno;
                return 0;
            }
            done += static_cast<size_t>(w);
        }
        t->response->downloaded += len;
        return len;
    }
    if (t->response->body.size() + len > k_max_memory_body) return 0;
    t->response->body.append(data, len);
    return len;
}

size_t header_line(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) t->response->headers.clear(); // e.g. after "100 Continue"
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
            value.remove_prefix(1);
        while (!value.empty() &&
               (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
            value.remove_suffix(1);
        t->response->headers.emplace_back(std::move(name), std::string(value));
    }
    return size * n;
}

std::string host_of(const std::string& url) {
    size_t b = url.find("://");
    b = b == std::string::npos ? 0 : b + 3;
    return url.substr(b, url.find('/', b) - b);
}

Failure transport_failure(CURLcode code, const char* detail, const std::string& url,
                          const Transfer& t) {
    std::string what =
        "cannot reach " + host_of(url) + ": " + (*detail ? detail : curl_api().easy_strerror(code));
    if (t.write_failed)
        return Failure{FailureKind::error,
                       "cannot write the download: " + std::string(std::strerror(t.write_errno))};
    if (t.stalled)
        return Failure{FailureKind::timeout,
                       "request to " + host_of(url) + " timed out (less than " +
                           std::to_string(t.min_bytes) + " bytes moved in " +
                           std::to_string(t.window.count()) + " s)"};
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return Failure{FailureKind::timeout,
                       "request to " + host_of(url) + " timed out (" +
                           (*detail ? detail : curl_api().easy_strerror(code)) + ")"};
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return Failure{FailureKind::transient, what};
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        return Failure{FailureKind::error, "TLS verification failed for " + host_of(url) + ": " +
                                               (*detail ? detail : curl_api().easy_strerror(code))};
    default:
        return Failure{FailureKind::error, what};
    }
}

} // namespace

std::string HttpResponse::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (n == name) return v;
    return {};
}

void http_global_init() {
    (void)curl_api();
}

HttpClient::HttpClient(HttpOptions options) : m_curl(nullptr), m_options(options) {
    http_global_init();
    m_curl = curl_api().easy_init();
    if (!m_curl) throw Error(ErrorKind::internal, "cannot create a libcurl handle");
}

HttpClient::~HttpClient() {
    curl_api().easy_cleanup(static_cast<CURL*>(m_curl));
}

Result<HttpResponse> HttpClient::perform(const HttpRequest& request) {
    CURL* c = static_cast<CURL*>(m_curl);
    curl_api().easy_reset(c); // keeps the connection cache, drops last request's options
    HttpResponse response;
    Transfer t;
    t.request = &request;
    t.response = &response;
    t.curl = c;
    char error_buf[CURL_ERROR_SIZE] = {0};

    curl_api().easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_api().easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_api().easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_api().easy_setopt(c, CURLOPT_PATH_AS_IS,
                     1L); // keys may contain "./" or "../": never squash them
    curl_api().easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_api().easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    curl_api().easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_api().easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!m_options.ca_bundle.empty())
        curl_api().easy_setopt(c, CURLOPT_CAINFO, m_options.ca_bundle.c_str());
    curl_api().easy_setopt(c, CURLOPT_CONNECTTIMEOUT, m_options.connect_timeout_s);
    curl_api().easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, m_options.low_speed_limit_bytes);
    curl_api().easy_setopt(c, CURLOPT_LOW_SPEED_TIME, m_options.low_speed_time_s);
    curl_api().easy_setopt(c, CURLOPT_TIMEOUT, m_options.total_timeout_s);
    curl_api().easy_setopt(c, CURLOPT_ERRORBUFFER, error_buf);
    curl_api().easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
    curl_api().easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_api().easy_setopt(c, CURLOPT_HEADERFUNCTION, header_line);
    curl_api().easy_setopt(c, CURLOPT_HEADERDATA, &t);
    if (m_options.low_speed_time_s > 0) {
        t.window = std::chrono::seconds(m_options.low_speed_time_s);
        t.min_bytes = static_cast<curl_off_t>(m_options.low_speed_limit_bytes) * m_options.low_speed_time_s;
        t.window_start = std::chrono::steady_clock::now();
        curl_api().easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_api().easy_setopt(c, CURLOPT_XFERINFODATA, &t);
        curl_api().easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }

    bool has_body = request.upload_fd >= 0 || !request.body.empty();
    auto length = static_cast<curl_off_t>(request.upload_fd >= 0 ? request.upload_length
                                                                 : request.body.size());
    if (request.method == "HEAD") {
        curl_api().easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT") {
        curl_api().easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_api().easy_setopt(c, CURLOPT_INFILESIZE_LARGE, length);
    } else if (request.method == "POST") {
        curl_api().easy_setopt(c, CURLOPT_POST, 1L);
        curl_api().easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, length);
    } else if (request.method != "GET") {
        curl_api().easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (has_body || request.method == "PUT" || request.method == "POST") {
        curl_api().easy_setopt(c, CURLOPT_READFUNCTION, read_body);
        curl_api().easy_setopt(c, CURLOPT_READDATA, &t);
        curl_api().easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_body);
        curl_api().easy_setopt(c, CURLOPT_SEEKDATA, &t);
    }

    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers)
        headers = curl_api().slist_append(headers, (name + ": " + value).c_str());
    // curl's defaults that the signature does not cover or S3 does not want.
    headers = curl_api().slist_append(headers, "Accept:");
    // libcurl asks before every PUT body ("Expect: 100-continue") and waits
    // for the go-ahead: a round trip that only pays off when a large body
    // would be refused. Small bodies go at once (as libcurl does for POST).
    if (request.method == "PUT" && length <= k_expect_threshold)
        headers = curl_api().slist_append(headers, "Expect:");
    if (request.method == "POST")
        headers = curl_api().slist_append(headers, "Content-Type: application/xml");
    curl_api().easy_setopt(c, CURLOPT_HTTPHEADER, headers);

    CURLcode code = curl_api().easy_perform(c);
    curl_api().slist_free_all(headers);
    // Header values may carry the Authorization line; the slist is freed and
    // the error buffer never holds header values.
    if (code != CURLE_OK) return unexpected(transport_failure(code, error_buf, request.url, t));
    curl_api().easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
}

} // namespace cairn::storage::s3
