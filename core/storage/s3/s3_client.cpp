#include "core/storage/s3/s3_client.hpp"

#include "core/crypto/sha256.hpp"
#include "core/storage/s3/sigv4.hpp"
#include "core/storage/s3/xml.hpp"

#include <chrono>

namespace cairn::storage::s3 {

namespace {

constexpr size_t k_max_idle_clients = 8;

bool looks_like_html(const std::string& body) {
    size_t b = body.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return false;
    std::string head = body.substr(b, 15);
    for (auto& ch : head)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return head.rfind("<!doctype html", 0) == 0 || head.rfind("<html", 0) == 0;
}

} // namespace

std::string error_code(const HttpResponse& response) {
    auto doc = parse_xml(response.body);
    return doc && doc->name == "Error" ? doc->child_text("Code") : std::string{};
}

S3Client::S3Client(S3Config config, Credentials credentials, HttpOptions http)
    : m_config(std::move(config)), m_credentials(std::move(credentials)), m_http(http) {}

std::unique_ptr<HttpClient> S3Client::acquire() {
    {
        std::lock_guard lock(m_mutex);
        if (!m_idle.empty()) {
            auto client = std::move(m_idle.back());
            m_idle.pop_back();
            return client;
        }
    }
    return std::make_unique<HttpClient>(m_http);
}

void S3Client::release(std::unique_ptr<HttpClient> client) {
    std::lock_guard lock(m_mutex);
    if (m_idle.size() < k_max_idle_clients) m_idle.push_back(std::move(client));
}

Result<HttpResponse> S3Client::send(const S3Call& call) {
    Target target = target_for(m_config, call.key, call.query);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();

    SigningInput sig;
    sig.method = call.method;
    sig.canonical_uri = target.canonical_uri;
    sig.query = call.query;
    sig.amz_date = amz_date(now);
    sig.region = m_config.region;
    sig.service = m_config.service;
    sig.payload_hash =
        !call.payload_hash.empty() ? call.payload_hash : crypto::sha256_hex(call.body);
    sig.headers = {{"host", target.host},
                   {"x-amz-date", sig.amz_date},
                   {"x-amz-content-sha256", sig.payload_hash}};
    if (!m_credentials.session_token.empty())
        sig.headers.emplace_back("x-amz-security-token", m_credentials.session_token);
    for (const auto& h : call.headers)
        sig.headers.push_back(h);

    HttpRequest rq;
    rq.method = call.method;
    rq.url = target.url;
    rq.headers = sig.headers;
    rq.headers.emplace_back("Authorization",
                            authorization(sig, m_credentials.access_key, m_credentials.secret_key));
    rq.body = call.body;
    rq.upload_fd = call.upload_fd;
    rq.upload_offset = call.upload_offset;
    rq.upload_length = call.upload_length;
    rq.download_fd = call.download_fd;

    auto client = acquire();
    auto result = client->perform(rq);
    release(std::move(client));
    return result;
}

Result<HttpResponse> S3Client::send_ok(const S3Call& call) {
    auto response = send(call);
    if (!response) return response;
    if (response->status < 200 || response->status >= 300) {
        Failure failure = failure_of(*response, call);
        // S3 applies no request it answers with 4xx.
        failure.nothing_stored = response->status >= 400 && response->status < 500;
        return unexpected(std::move(failure));
    }
    return response;
}

Failure S3Client::failure_of(const HttpResponse& response, const S3Call& call) const {
    const std::string& ep = m_config.endpoint;
    long status = response.status;
    auto doc = parse_xml(response.body);
    std::string code = doc && doc->name == "Error" ? doc->child_text("Code") : "";
    std::string where = call.subject.empty() ? "bucket " + m_config.bucket : call.subject;
    std::string http = " (HTTP " + std::to_string(status) + (code.empty() ? "" : " " + code) + ")";

    // A proxy or load balancer in front of the store answers overload and
    // outages with its own HTML or text page: that is an outage, not a
    // wrong endpoint.
    if (!response.body.empty() && (!doc || looks_like_html(response.body))) {
        if (status >= 500 || status == 429)
            return {FailureKind::transient,
                    ep + " is unavailable or throttling" + http + "; the answer was not from S3 itself"};
        return {FailureKind::error, "endpoint " + ep + " does not look like an S3 service" + http};
    }
    if (status == 403 || code == "RequestTimeTooSkewed" || code == "SignatureDoesNotMatch" ||
        code == "InvalidAccessKeyId" || code == "AuthorizationHeaderMalformed" ||
        code == "ExpiredToken")
        return {FailureKind::auth,
                "access denied by " + ep + " (check credentials and the system clock)" + http};
    if (code == "NoSuchBucket")
        return {FailureKind::not_found, "bucket " + m_config.bucket + " does not exist at " + ep};
    if (status == 404)
        return {FailureKind::not_found,
                (call.subject.empty() ? where : "object " + where) + " not found" + http};
    if (status >= 500 || status == 429 || code == "SlowDown" || code == "Throttling" ||
        code == "RequestTimeout" || code == "ThrottlingException")
        return {FailureKind::transient, ep + " is unavailable or throttling" + http};
    if (status == 301 || status == 307 || code == "PermanentRedirect") {
        std::string region = response.header("x-amz-bucket-region");
        return {FailureKind::error, "bucket " + m_config.bucket + " is served elsewhere" +
                                        (region.empty() ? "" : " (region " + region + ")") + http};
    }
    return {FailureKind::error, call.method + " " + where + " failed at " + ep + http};
}

} // namespace cairn::storage::s3
