#include "core/storage/s3/s3_config.hpp"

#include "core/util/error.hpp"

#include <charconv>

namespace cairn::storage::s3 {

namespace {

struct ParsedEndpoint {
    std::string scheme, authority, host;
};

// Accepts scheme://host[:port][/]; refuses user info (it would be a secret
// in the config) and paths, which S3 endpoints do not have.
ParsedEndpoint parse_endpoint(const std::string& url) {
    ParsedEndpoint out;
    size_t sep = url.find("://");
    if (sep == std::string::npos)
        throw Error(ErrorKind::config, "storage endpoint '" + url + "' is not a URL",
                    "write it as https://host[:port]");
    out.scheme = url.substr(0, sep);
    if (out.scheme != "https" && out.scheme != "http")
        throw Error(ErrorKind::config, "storage endpoint '" + url + "' must use https");
    std::string rest = url.substr(sep + 3);
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    if (rest.find('@') != std::string::npos)
        throw Error(ErrorKind::config, "storage endpoint must not contain user information",
                    "put credentials in the environment or ~/.aws/credentials, never in the URL");
    if (rest.empty() || rest.find_first_of("/?#") != std::string::npos)
        throw Error(ErrorKind::config,
                    "storage endpoint '" + url + "' must be scheme://host[:port] without a path");
    out.authority = rest;
    if (rest.front() == '[') {
        out.host = rest.substr(0, rest.find(']') + 1);
    } else {
        out.host = rest.substr(0, rest.find(':'));
    }
    return out;
}

bool is_ipv4_loopback(std::string_view host) {
    int parts = 0;
    int first = -1;
    while (!host.empty()) {
        size_t dot = host.find('.');
        std::string_view part = host.substr(0, dot);
        int value = 0;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || ec != std::errc() || end != part.data() + part.size() || value > 255)
            return false;
        if (first < 0) first = value;
        ++parts;
        if (dot == std::string_view::npos) break;
        host.remove_prefix(dot + 1);
        if (host.empty()) return false;
    }
    return parts == 4 && first == 127;
}

} // namespace

bool is_loopback_host(std::string_view host) {
    if (host == "localhost" || host == "::1" || host == "[::1]") return true;
    return is_ipv4_loopback(host);
}

S3Config resolve_s3_config(const Location& location, const AwsSettings& settings) {
    S3Config c;
    const std::string& url = location.url;
    c.gcs = url.rfind("gs://", 0) == 0;
    if (!c.gcs && url.rfind("s3://", 0) != 0)
        throw Error(ErrorKind::config, "not an s3:// or gs:// location: '" + url + "'");
    std::string rest = url.substr(5);
    size_t slash = rest.find('/');
    c.bucket = rest.substr(0, slash);
    c.prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (!c.prefix.empty() && c.prefix.back() != '/') c.prefix += '/';
    if (c.bucket.empty() || c.bucket.find_first_of(" ?#%\\") != std::string::npos)
        throw Error(ErrorKind::config, "location '" + url + "' has no valid bucket name",
                    "write it as s3://bucket/prefix");

    std::string endpoint = location.endpoint;
    if (!c.gcs) {
        // Environment beats the instance config (file < environment < flags).
        if (!settings.endpoint.empty()) endpoint = settings.endpoint;
    } else if (endpoint.empty()) {
        endpoint = "https://storage.googleapis.com";
    }
    c.region = !location.region.empty()   ? location.region
               : c.gcs                    ? "auto"
               : !settings.region.empty() ? settings.region
                                          : "us-east-1";

    std::string addressing =
        !location.addressing.empty() ? location.addressing : settings.addressing_style;
    if (!addressing.empty() && addressing != "path" && addressing != "virtual" &&
        addressing != "auto")
        throw Error(ErrorKind::config,
                    "addressing must be 'path' or 'virtual', not '" + addressing + "'");

    if (endpoint.empty()) {
        // AWS itself: virtual-hosted style unless asked otherwise or the bucket
        // name has dots (the wildcard certificate would not match).
        c.path_style = addressing == "path" || c.bucket.find('.') != std::string::npos;
        std::string host = "s3." + c.region + ".amazonaws.com";
        endpoint = "https://" + host;
    } else {
        // Custom endpoints (MinIO, Ceph, GCS) default to path style.
        c.path_style = addressing != "virtual";
    }
    ParsedEndpoint e = parse_endpoint(endpoint);
    if (e.scheme == "http") {
        if (!is_loopback_host(e.host))
            throw Error(ErrorKind::config, "plain http to " + e.authority + " is not allowed",
                        "use https; http is accepted only for loopback endpoints (127.0.0.1, ::1, "
                        "localhost) with allow_http set");
        if (!location.allow_http)
            throw Error(ErrorKind::config, "plain http to " + e.authority + " needs allow_http",
                        "set allow_http for this loopback storage, or use https");
    }
    c.scheme = e.scheme;
    c.authority = e.authority;
    c.endpoint = e.scheme + "://" + e.authority;
    return c;
}

Target target_for(const S3Config& config, std::string_view key, const Params& query) {
    Target t;
    std::string path = "/";
    if (config.path_style) {
        t.host = config.authority;
        path += config.bucket;
        if (!key.empty()) path += "/";
    } else {
        t.host = config.bucket + "." + config.authority;
    }
    t.canonical_uri = uri_encode(path, true) + uri_encode(key, true);
    std::string q = canonical_query(query);
    t.url = config.scheme + "://" + t.host + t.canonical_uri + (q.empty() ? "" : "?" + q);
    return t;
}

} // namespace cairn::storage::s3
