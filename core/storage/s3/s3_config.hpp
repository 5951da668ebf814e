#pragma once
// Where requests go: the bucket, the key prefix, the endpoint, addressing
// style, region and signing service for an s3:// or gs:// location, with the
// transport policy enforced (https, or http only for loopback when allowed).
#include "core/storage/backend.hpp"
#include "core/storage/s3/credentials.hpp"
#include "core/storage/s3/sigv4.hpp"

#include <string>
#include <string_view>

namespace cairn::storage::s3 {

struct S3Config {
    bool gcs = false; // gs:// (GCS XML API with HMAC keys)
    std::string bucket;
    std::string prefix;    // "" or ends with '/'
    std::string scheme;    // "https" or "http"
    std::string authority; // "host" or "host:port", as sent in Host
    std::string endpoint;  // scheme://authority, for messages
    bool path_style = false;
    std::string region;
    std::string service = "s3";
};

// True for localhost, 127.0.0.0/8 and ::1 (with or without brackets).
bool is_loopback_host(std::string_view host);

// Builds the configuration. Throws cairn::Error (config) for a malformed
// URL or endpoint and for plain http to a non-loopback host or without
// allow_http.
S3Config resolve_s3_config(const Location& location, const AwsSettings& settings);

struct Target {
    std::string url;           // full URL with the encoded query
    std::string host;          // Host header value
    std::string canonical_uri; // encoded path as signed
};

// The URL for `key` (the full object key, prefix included; "" for the
// bucket itself) with the raw query parameters.
Target target_for(const S3Config& config, std::string_view key, const Params& query);

} // namespace cairn::storage::s3
