#pragma once
// Artifact keys and references.
#include "core/catalog/artifacts.hpp"

#include <optional>
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

// What a REF can name, from its text alone (resolve() then asks the catalog).
struct RefParts {
    bool may_be_uid = false;     // 16 characters 0-9a-v: tried as a uid first
    std::string key;             // the key part: the whole REF unless versioned
    std::optional<int> version;  // "key@vN" with 1..9 digits and a non-empty key
};

// Splits REF = key, key@vN, or uid. Never throws: any text is a (possibly
// unknown) key.
RefParts parse_ref(std::string_view ref);

// Resolves REF = key, key@vN, or uid to an artifact that can be read.
// Throws not_found (also for artifacts pending deletion or deleted).
catalog::ArtifactRow resolve(catalog::Catalog& catalog, const std::string& ref);

// Like resolve() but also finds artifacts pending deletion (purge, lineage).
catalog::ArtifactRow resolve_any_state(catalog::Catalog& catalog, const std::string& ref);

} // namespace cairn::artifact
