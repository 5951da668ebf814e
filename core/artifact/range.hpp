#pragma once
// `cairn load REF --range A-B`: which bytes, and whether an artifact can
// serve them (man/cairn-load.1, docs/SECURITY.md "Range reads").
#include "core/catalog/artifacts.hpp"

#include <cstdint>
#include <string_view>

namespace cairn::artifact {

// Bytes first..last of the content, both inclusive (as HTTP's
// "Range: bytes=A-B" and curl --range), counted from 0.
struct ByteRange {
    uint64_t first = 0;
    uint64_t last = 0;
};

// Parses "A-B" (decimal, A <= B). Usage error with the reason otherwise.
ByteRange parse_range(std::string_view text);

// Usage error unless `a` is a file artifact with a tree hash whose content
// holds every byte of `r`: folders, artifacts saved before tree hashes and
// ranges past the end are refused before anything is read.
void check_range(const catalog::ArtifactRow& a, const ByteRange& r);

} // namespace cairn::artifact
