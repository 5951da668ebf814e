#pragma once
// The storage locations of an opened instance as anchor locations for
// published checkpoints (core/audit/published.hpp): the configured storage
// and every other location the catalog records (an instance whose storage
// moved), opened with the configured endpoint settings.
#include "core/audit/host_head.hpp"
#include "core/audit/published.hpp"
#include "core/instance/instance.hpp"

#include <memory>
#include <vector>

namespace cairn::audit {

class InstanceLocations {
  public:
    explicit InstanceLocations(Instance& instance);
    const std::vector<AnchorLocation>& get() const { return m_locations; }

  private:
    std::vector<std::unique_ptr<storage::Backend>> m_owned;
    std::vector<AnchorLocation> m_locations;
};

// What `audit verify` found about the anchors outside the instance.
struct AnchorReport {
    HeadCheck head{};
    bool storage_checked = false; // false with --no-storage, or when the trail already failed
    PublishedSummary published{};
};

// For a trail that verify() found intact (`r.ok()`): checks it against this
// host's recorded head (never writing it) and, with `read_storage`, against
// every published checkpoint of every storage location. The first failure
// goes into `r`. Does nothing when `r` already failed. Storage failures
// throw Error (exit 5).
AnchorReport check_anchors(Instance& instance, VerifyReport& r, bool read_storage);

nlohmann::json to_json(const AnchorReport& a);
// Lines for the text output of `audit verify`.
std::string describe(const AnchorReport& a);

} // namespace cairn::audit
