#pragma once
// AWS Signature Version 4 (header form) for S3 and S3-compatible stores.
// Pure functions: no I/O, no clock, so the published test vectors pin them.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::storage::s3 {

using Params = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes per RFC 3986 as SigV4 requires: unreserved characters
// (A-Z a-z 0-9 - . _ ~) stay, every other byte becomes %XX (upper case).
// With keep_slash, '/' stays (object key paths); query values encode it.
std::string uri_encode(std::string_view text, bool keep_slash);

// The canonical query string: names and values encoded, sorted by encoded
// name then value, joined by '&'. Takes raw (unencoded) parameters.
std::string canonical_query(const Params& query);

struct SigningInput {
    std::string method;        // "GET", "PUT", ...
    std::string canonical_uri; // already encoded path, e.g. "/bucket/a%20b"
    Params query;              // raw parameters
    Params headers;            // headers to sign; must include host and x-amz-date
    std::string payload_hash;  // hex SHA-256 of the body or "UNSIGNED-PAYLOAD"
    std::string amz_date;      // "20150830T123600Z"
    std::string region;        // "us-east-1"
    std::string service;       // "s3"
};

std::string canonical_request(const SigningInput& in);
std::string string_to_sign(const SigningInput& in);

// The hex signature and the Authorization header value. The secret never
// leaves this function except as the derived HMAC.
std::string signature(const SigningInput& in, std::string_view secret_key);
std::string authorization(const SigningInput& in, std::string_view access_key,
                          std::string_view secret_key);

// "20150830T123600Z" for the given Unix time (UTC).
std::string amz_date(long long unix_seconds);

} // namespace cairn::storage::s3
