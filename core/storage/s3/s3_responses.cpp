#include "core/storage/s3/s3_responses.hpp"

#include "core/storage/s3/xml.hpp"

#include <cctype>
#include <charconv>

namespace cairn::storage::s3 {

namespace {

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

// A key from a listing; with encoding-type=url, keys and key markers come
// url-encoded (so that keys with control characters survive XML).
std::string key_text(const XmlNode& node, std::string_view child, bool encoded) {
    std::string text = node.child_text(child);
    return encoded ? url_decode(text) : text;
}

// The root element when the body is one of `names`.
std::optional<XmlNode> document(std::string_view body,
                                std::initializer_list<std::string_view> names) {
    auto doc = parse_xml(body);
    if (!doc) return std::nullopt;
    for (std::string_view n : names)
        if (doc->name == n) return doc;
    return std::nullopt;
}

} // namespace

Result<ObjectPage> parse_object_listing(const S3Config& c, std::string_view body) {
    auto doc = document(body, {"ListBucketResult"});
    if (!doc)
        return fail(FailureKind::error,
                    "endpoint " + c.endpoint + " does not look like an S3 service (bad listing)");
    bool encoded = doc->child_text("EncodingType") == "url";
    ObjectPage page;
    for (const XmlNode* item : doc->children_named("Contents")) {
        std::string key = key_text(*item, "Key", encoded);
        if (key.rfind(c.prefix, 0) != 0) continue;
        const std::string size = item->child_text("Size");
        uint64_t n = 0;
        if (!size.empty()) {
            // (std::stoull threw std::invalid_argument here and took "-1" for 2^64-1.)
            auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), n);
            if (ec != std::errc() || end != size.data() + size.size())
                return fail(FailureKind::error,
                            "endpoint " + c.endpoint + " listed an object with an invalid size");
        }
        page.objects.push_back({key.substr(c.prefix.size()), n});
    }
    if (doc->child_text("IsTruncated") == "true")
        page.next_token = doc->child_text("NextContinuationToken");
    return page;
}

Result<VersionPage> parse_version_listing(const S3Config& c, std::string_view body) {
    auto doc = document(body, {"ListVersionsResult", "ListBucketResult"});
    if (!doc)
        return fail(FailureKind::error,
                    "endpoint " + c.endpoint +
                        " does not look like an S3 service (bad version listing)");
    bool encoded = doc->child_text("EncodingType") == "url";
    VersionPage page;
    for (const XmlNode& item : doc->children) {
        // S3: <Version>/<DeleteMarker>; GCS: <Contents> with <Generation>.
        bool marker = item.name == "DeleteMarker";
        if (!marker && item.name != "Version" && item.name != "Contents") continue;
        std::string key = key_text(item, "Key", encoded);
        if (key.rfind(c.prefix, 0) != 0) continue;
        std::string id =
            item.name == "Contents" ? item.child_text("Generation") : item.child_text("VersionId");
        page.versions.push_back({key.substr(c.prefix.size()), id, marker});
    }
    if (doc->child_text("IsTruncated") != "true") return page;
    page.next.key = key_text(*doc, c.gcs ? "NextMarker" : "NextKeyMarker", encoded);
    page.next.id = doc->child_text(c.gcs ? "NextGenerationMarker" : "NextVersionIdMarker");
    if (page.next.done())
        return fail(FailureKind::error,
                    "endpoint " + c.endpoint + " truncated a version listing without a marker");
    return page;
}

Result<UploadPage> parse_upload_listing(const S3Config& c, std::string_view body) {
    auto doc = document(body, {"ListMultipartUploadsResult"});
    if (!doc)
        return fail(FailureKind::error,
                    "endpoint " + c.endpoint + " does not list multipart uploads");
    bool encoded = doc->child_text("EncodingType") == "url";
    UploadPage page;
    for (const XmlNode* item : doc->children_named("Upload")) {
        std::string key = key_text(*item, "Key", encoded);
        if (key.rfind(c.prefix, 0) == 0)
            page.uploads.push_back({key.substr(c.prefix.size()), item->child_text("UploadId")});
    }
    if (doc->child_text("IsTruncated") != "true") return page;
    page.next = {key_text(*doc, "NextKeyMarker", encoded), doc->child_text("NextUploadIdMarker")};
    if (page.next.done())
        return fail(FailureKind::error,
                    "endpoint " + c.endpoint + " truncated an upload listing without a marker");
    return page;
}

std::optional<std::vector<std::pair<std::string, Failure>>>
parse_delete_result(const S3Config& c, std::string_view body) {
    auto doc = document(body, {"DeleteResult"});
    if (!doc) return std::nullopt;
    std::vector<std::pair<std::string, Failure>> out;
    for (const XmlNode* err : doc->children_named("Error")) {
        std::string key = err->child_text("Key");
        std::string code = err->child_text("Code");
        FailureKind kind = code == "AccessDenied"                          ? FailureKind::auth
                           : code == "InternalError" || code == "SlowDown" ? FailureKind::transient
                                                                           : FailureKind::error;
        std::string name = key.substr(std::min(key.size(), c.prefix.size()));
        out.emplace_back(name,
                         Failure{kind, "cannot delete a version of " + name + " (" + code + ")"});
    }
    return out;
}

} // namespace cairn::storage::s3
