#pragma once
// The bodies of S3 (and GCS XML API) answers that cairn reads: listings of
// objects, versions and unfinished uploads, and the per-key errors of a batch
// delete. Pure functions of the body and the location, so unit tests and
// fuzzers (tests/fuzz/) reach them without a server. A body that is not the
// expected document, or holds values that cannot be what it claims (a size
// that is not a number), is a Failure of kind error, never an exception.
#include "core/storage/backend.hpp"
#include "core/storage/s3/s3_config.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::storage::s3 {

// Where a listing continues; both empty: it is complete.
struct PageMarker {
    std::string key; // full key (location prefix included), decoded
    std::string id;  // version id (generation on GCS) or upload id
    bool done() const { return key.empty() && id.empty(); }
};

struct ObjectPage {
    std::vector<ObjectInfo> objects; // names relative to the location's prefix
    std::string next_token;          // "" when the listing is complete
};

struct VersionPage {
    std::vector<ObjectVersion> versions;
    PageMarker next;
};

struct Upload {
    std::string name; // relative to the location's prefix
    std::string id;
};

struct UploadPage {
    std::vector<Upload> uploads;
    PageMarker next;
};

// ListObjectsV2 (ListBucketResult).
Result<ObjectPage> parse_object_listing(const S3Config& c, std::string_view body);
// ListObjectVersions (ListVersionsResult; GCS: ListBucketResult with generations).
Result<VersionPage> parse_version_listing(const S3Config& c, std::string_view body);
// ListMultipartUploads (ListMultipartUploadsResult).
Result<UploadPage> parse_upload_listing(const S3Config& c, std::string_view body);
// DeleteObjects (DeleteResult): the failure of each key the store did not
// delete, by name relative to the prefix; nullopt when the body is not a
// DeleteResult.
std::optional<std::vector<std::pair<std::string, Failure>>>
parse_delete_result(const S3Config& c, std::string_view body);

} // namespace cairn::storage::s3
