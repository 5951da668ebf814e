#pragma once
// The artifact-side SQL of sealed rows (core/artifact/seal.hpp): the HMAC
// kept beside each wrapped data key, the rows a seal covers, and the
// one-time marker for artifacts saved before seals existed.
#include "core/catalog/artifacts.hpp"
#include "core/catalog/catalog.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cairn::catalog {

// artifact.wrap_mac of row `artifact_id`; empty when NULL.
std::vector<std::byte> wrap_mac(Catalog& c, int64_t artifact_id);
void set_wrap_mac(Catalog& c, int64_t artifact_id, std::span<const std::byte> mac);

// Every artifact that still holds a wrapped data key (active or awaiting
// purge): the rows whose seals must hold. Ordered by id.
std::vector<ArtifactRow> sealed_artifacts(Catalog& c);

// instance_info 'artifact_seals' is 'pending' after the migration that
// added seals, on a catalog that already held artifacts.
inline constexpr const char* k_seals_setting = "artifact_seals";
bool seals_pending(Catalog& c);
void clear_seals_pending(Catalog& c);

} // namespace cairn::catalog
