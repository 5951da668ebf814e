#pragma once
// The artifact-side SQL of sealed rows (core/artifact/seal.hpp): the HMAC
// kept beside each wrapped data key, the rows a seal covers, and the
// one-time marker for artifacts saved before seals existed.
#include "core/catalog/artifacts.hpp"
#include "core/catalog/catalog.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cairn::catalog {

// artifact.wrap_mac of row `artifact_id`; empty when NULL.
std::vector<std::byte> wrap_mac(Catalog& c, int64_t artifact_id);
void set_wrap_mac(Catalog& c, int64_t artifact_id, std::span<const std::byte> mac);

// Calls `visit` with every artifact that still holds a wrapped data key
// (active or awaiting purge): the rows whose seals must hold, in id order.
// Rows are read a page at a time, so memory stays flat however many the
// catalog holds (a million rows at once took about a gigabyte), and no query
// is open while `visit` runs: it may run statements on `c`, and change the
// row it is given. Within one transaction it sees one consistent set.
void for_each_sealed_artifact(Catalog& c, const std::function<void(ArtifactRow&)>& visit);
// The rows for_each_sealed_artifact() reads at a time.
inline constexpr int64_t k_sealed_page = 1000;

// instance_info 'artifact_seals' is 'pending' after the migration that
// added seals, on a catalog that already held artifacts.
inline constexpr const char* k_seals_setting = "artifact_seals";
bool seals_pending(Catalog& c);
void clear_seals_pending(Catalog& c);

} // namespace cairn::catalog
