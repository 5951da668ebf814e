#pragma once
// Artifact keys and references.
#include "core/catalog/artifacts.hpp"

#include <string>
#include <string_view>

namespace cairn::artifact {

constexpr size_t k_max_key_bytes = 1024;

// Throws usage error unless `key` is a valid artifact key: 1..1024 bytes of
// valid UTF-8, no control characters (incl. NUL), no leading '/', no empty,
// "." or ".." path components, and not ending in "@v<digits>" (REF syntax).
void validate_key(std::string_view key);

// True if `s` is valid UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view s);

// Resolves REF = key, key@vN, or uid to an artifact that can be read.
// Throws not_found (also for artifacts pending deletion or deleted).
catalog::ArtifactRow resolve(catalog::Catalog& catalog, const std::string& ref);

// Like resolve() but also finds artifacts pending deletion (purge, lineage).
catalog::ArtifactRow resolve_any_state(catalog::Catalog& catalog, const std::string& ref);

} // namespace cairn::artifact
