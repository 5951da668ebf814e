// Listing (ListObjectsV2, ListObjectVersions) and deletion of every version
// and delete marker (batched DeleteObjects on S3, one request per version
// on GCS, whose XML API has no batch delete).
#include "core/storage/s3/s3_backend_impl.hpp"

#include "core/storage/s3/xml.hpp"

#include <openssl/evp.h>

#include <cctype>

namespace cairn::storage::s3 {

namespace {

constexpr size_t k_batch = 1000; // DeleteObjects limit

std::string url_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() &&
            std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else if (s[i] == '+') { // S3 url-encodes listings form-style: '+' is a space
            out += ' ';
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string content_md5(std::string_view body) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(body.data(), body.size(), md, &len, EVP_md5(), nullptr);
    unsigned char b64[64];
    int n = EVP_EncodeBlock(b64, md, static_cast<int>(len));
    return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

} // namespace

Result<std::vector<ObjectInfo>> S3Backend::list(const std::string& prefix) {
    const S3Config& c = m_client.config();
    std::vector<ObjectInfo> out;
    std::string token;
    for (;;) {
        S3Call call;
        call.query = {{"list-type", "2"}, {"prefix", c.prefix + prefix}};
        if (!c.gcs) call.query.emplace_back("encoding-type", "url");
        if (!token.empty()) call.query.emplace_back("continuation-token", token);
        auto response = m_client.send_ok(call);
        if (!response) return unexpected(response.error());
        auto doc = parse_xml(response->body);
        if (!doc || doc->name != "ListBucketResult")
            return fail(FailureKind::error, "endpoint " + c.endpoint +
                                                " does not look like an S3 service (bad listing)");
        bool encoded = doc->child_text("EncodingType") == "url";
        for (const XmlNode* item : doc->children_named("Contents")) {
            std::string key =
                encoded ? url_decode(item->child_text("Key")) : item->child_text("Key");
            if (key.rfind(c.prefix, 0) != 0) continue;
            std::string size = item->child_text("Size");
            out.push_back({key.substr(c.prefix.size()), size.empty() ? 0 : std::stoull(size)});
        }
        token = doc->child_text("NextContinuationToken");
        if (doc->child_text("IsTruncated") != "true" || token.empty()) return out;
    }
}

Result<std::vector<ObjectVersion>> S3Backend::list_versions(const std::string& prefix) {
    const S3Config& c = m_client.config();
    std::vector<ObjectVersion> out;
    std::string key_marker, version_marker;
    for (;;) {
        S3Call call;
        call.query = {{"versions", ""}, {"prefix", c.prefix + prefix}};
        if (!c.gcs) call.query.emplace_back("encoding-type", "url");
        if (!key_marker.empty())
            call.query.emplace_back(c.gcs ? "marker" : "key-marker", key_marker);
        if (!version_marker.empty())
            call.query.emplace_back(c.gcs ? "generation-marker" : "version-id-marker",
                                    version_marker);
        auto response = m_client.send_ok(call);
        if (!response) return unexpected(response.error());
        auto doc = parse_xml(response->body);
        if (!doc || (doc->name != "ListVersionsResult" && doc->name != "ListBucketResult"))
            return fail(FailureKind::error,
                        "endpoint " + c.endpoint +
                            " does not look like an S3 service (bad version listing)");
        bool encoded = doc->child_text("EncodingType") == "url";
        for (const XmlNode& item : doc->children) {
            // S3: <Version>/<DeleteMarker>; GCS: <Contents> with <Generation>.
            bool marker = item.name == "DeleteMarker";
            if (!marker && item.name != "Version" && item.name != "Contents") continue;
            std::string key = encoded ? url_decode(item.child_text("Key")) : item.child_text("Key");
            if (key.rfind(c.prefix, 0) != 0) continue;
            std::string id = item.name == "Contents" ? item.child_text("Generation")
                                                     : item.child_text("VersionId");
            out.push_back({key.substr(c.prefix.size()), id, marker});
        }
        if (doc->child_text("IsTruncated") != "true") return out;
        key_marker = doc->child_text(c.gcs ? "NextMarker" : "NextKeyMarker");
        version_marker = doc->child_text(c.gcs ? "NextGenerationMarker" : "NextVersionIdMarker");
        if (key_marker.empty() && version_marker.empty())
            return fail(FailureKind::error,
                        "endpoint " + c.endpoint + " truncated a version listing without a marker");
    }
}

Status S3Backend::remove(const std::string& name) {
    std::vector<std::pair<std::string, Failure>> failed;
    Status st = delete_versions_of({name}, failed);
    if (!st) return st;
    if (!failed.empty()) return unexpected(failed.front().second);
    return {};
}

std::vector<std::pair<std::string, Failure>>
S3Backend::remove_many(const std::vector<std::string>& names) {
    std::vector<std::pair<std::string, Failure>> failed;
    if (Status st = delete_versions_of(names, failed); !st)
        for (const auto& name : names)
            failed.emplace_back(name, st.error());
    return failed;
}

Status S3Backend::delete_versions_of(const std::vector<std::string>& names,
                                     std::vector<std::pair<std::string, Failure>>& failed) {
    std::vector<ObjectVersion> versions;
    for (const auto& name : names) {
        auto listed = list_versions(name);
        if (!listed && listed.error().kind == FailureKind::error) {
            // A store without version listing: a plain DELETE is all there is.
            S3Call call;
            call.method = "DELETE";
            call.key = key_of(name);
            call.subject = name;
            if (auto deleted = m_client.send(call); !deleted)
                failed.emplace_back(name, deleted.error());
            else if (deleted->status != 404 && (deleted->status < 200 || deleted->status >= 300))
                failed.emplace_back(name, m_client.failure_of(*deleted, call));
            continue;
        }
        if (!listed) {
            failed.emplace_back(name, listed.error());
            continue;
        }
        // The listing is by prefix: keep only this exact name.
        for (auto& v : *listed)
            if (v.name == name) versions.push_back(std::move(v));
    }
    if (m_client.config().gcs) {
        for (const auto& v : versions) {
            S3Call call;
            call.method = "DELETE";
            call.key = key_of(v.name);
            call.subject = v.name;
            if (!v.version_id.empty()) call.query = {{"generation", v.version_id}};
            auto response = m_client.send(call);
            if (!response)
                failed.emplace_back(v.name, response.error());
            else if (response->status != 404 && (response->status < 200 || response->status >= 300))
                failed.emplace_back(v.name, m_client.failure_of(*response, call));
        }
        return {};
    }
    for (size_t begin = 0; begin < versions.size(); begin += k_batch) {
        size_t end = std::min(versions.size(), begin + k_batch);
        std::string body = "<Delete><Quiet>true</Quiet>";
        for (size_t i = begin; i < end; ++i) {
            body += "<Object><Key>" + xml_escape(key_of(versions[i].name)) + "</Key>";
            if (!versions[i].version_id.empty())
                body += "<VersionId>" + xml_escape(versions[i].version_id) + "</VersionId>";
            body += "</Object>";
        }
        body += "</Delete>";
        S3Call call;
        call.method = "POST";
        call.query = {{"delete", ""}};
        call.headers = {{"content-md5", content_md5(body)}};
        call.body = body;
        auto response = m_client.send_ok(call);
        if (!response) {
            for (size_t i = begin; i < end; ++i)
                failed.emplace_back(versions[i].name, response.error());
            continue;
        }
        auto doc = parse_xml(response->body);
        if (!doc || doc->name != "DeleteResult") {
            for (size_t i = begin; i < end; ++i)
                failed.emplace_back(
                    versions[i].name,
                    Failure{FailureKind::error, "unexpected answer to a batch delete"});
            continue;
        }
        for (const XmlNode* err : doc->children_named("Error")) {
            std::string key = err->child_text("Key");
            std::string code = err->child_text("Code");
            FailureKind kind = code == "AccessDenied" ? FailureKind::auth
                               : code == "InternalError" || code == "SlowDown"
                                   ? FailureKind::transient
                                   : FailureKind::error;
            std::string name = key.substr(std::min(key.size(), m_client.config().prefix.size()));
            failed.emplace_back(
                name, Failure{kind, "cannot delete a version of " + name + " (" + code + ")"});
        }
    }
    return {};
}

} // namespace cairn::storage::s3
