#pragma once
// The storage conformance suite: one set of doctest CHECKs that every
// Backend must pass (local directory, S3 against radosgw, and any future
// backend). Call it from inside a TEST_CASE. Linked into cairn_tests only.
#include "core/storage/backend.hpp"

#include <cstdint>
#include <string>

namespace cairn::storage {

struct ConformanceOptions {
    // Object names are created under this prefix (give each run its own so
    // runs against a shared bucket do not interfere).
    std::string prefix;
    // When > 0, also round-trips a file of this size (e.g. above the
    // multipart threshold).
    uint64_t large_size = 0;
    // Versioned stores must also show no version or delete marker after remove.
    bool check_versions = true;
    // Overwriting keeps the old version (an S3 bucket with versioning on).
    bool versioned = false;
};

void run_conformance(Backend& backend, const ConformanceOptions& options);

} // namespace cairn::storage
