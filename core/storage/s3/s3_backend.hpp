#pragma once
// The S3 backend (AWS S3, MinIO, Ceph radosgw, and GCS through its XML API
// with HMAC keys). Locations: s3://bucket/prefix and gs://bucket/prefix.
#include "core/storage/backend.hpp"
#include "core/storage/s3/credentials.hpp"
#include "core/storage/s3/http.hpp"

#include <cstdint>
#include <memory>

namespace cairn::storage {

struct S3Options {
    // Files larger than this are sent as a multipart upload.
    uint64_t multipart_threshold = 64ull << 20;
    // Part size; 0 picks 16 MiB, grown (up to 5 GiB) so at most 10000 parts
    // are needed. S3 requires at least 5 MiB for every part but the last.
    uint64_t part_size = 0;
    int upload_threads = 4;
    // Entries per listing page (max-keys); 0: the server's default, 1000 on
    // S3. Tests make it small to exercise pagination.
    int list_page_size = 0;
    s3::HttpOptions http;
    s3::Getenv env = s3::process_env();
};

// The options with the environment's settings applied: AWS_CA_BUNDLE (when
// no CA file is set) and CAIRN_STORAGE_TIMEOUT (seconds without progress
// before a request is abandoned; connecting gives up after at most as long).
// Throws cairn::Error (config) for an invalid timeout.
S3Options resolve_s3_options(const S3Options& options);

// Opens the backend. Throws cairn::Error (config) for invalid locations,
// disallowed plain http, or when no credentials can be found.
std::unique_ptr<Backend> open_s3_backend(const Location& location);
std::unique_ptr<Backend> open_s3_backend(const Location& location, const S3Options& options);

} // namespace cairn::storage
