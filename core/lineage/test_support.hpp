#pragma once
// Helpers for the lineage unit tests: a fresh catalog in a temp dir and
// artifacts inserted directly (no storage or crypto involved).
#include "core/catalog/artifacts.hpp"
#include "core/instance/actor.hpp"
#include "core/lineage/link.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace cairn::lineage::testing {

class Fixture {
public:
    Fixture();
    ~Fixture();
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    catalog::Catalog& catalog() { return *m_catalog; }
    const Actor& actor() const { return m_actor; }
    const std::filesystem::path& dir() const { return m_dir; }

    // A new version of `key` (distinct content), optionally as an output of `run`.
    catalog::ArtifactRow artifact(const std::string& key, const RunRow* run = nullptr);
    RunRow start(const std::string& transform = "etl.sh");
    // Saves `key` derived from `from` (refs), optionally under `run`, the way save does.
    catalog::ArtifactRow derive(const std::string& key, const std::vector<std::string>& from, const RunRow* run = nullptr);
    void load(const RunRow& run, const catalog::ArtifactRow& a);
    void set_state(const catalog::ArtifactRow& a, const std::string& state, int64_t deleted_at);

private:
    std::filesystem::path m_dir;
    std::unique_ptr<catalog::Catalog> m_catalog;
    Actor m_actor;
    int m_counter = 0;
};

} // namespace cairn::lineage::testing
