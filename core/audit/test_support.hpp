#pragma once
// Shared fixture for the audit unit tests: a fresh catalog with audit keys
// in its own temporary directory.
#include "core/audit/audit.hpp"
#include "core/audit/keys.hpp"
#include "core/catalog/catalog.hpp"
#include "core/util/random.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace cairn::audit::testing {

struct AuditFixture {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("cairn-audit-" + random_hex(6));
    std::unique_ptr<catalog::Catalog> catalog;
    Actor actor{"alice", "alice", 1000, "host1", 42, "cairn ls"};

    AuditFixture() {
        std::filesystem::create_directories(dir);
        catalog = catalog::Catalog::open(dir / "catalog.db", true);
        create_audit_keys(dir);
        catalog->db().exec("INSERT INTO instance_info (name, value) VALUES ('instance_id', 'inst-test')");
    }
    ~AuditFixture() {
        catalog.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    AuditFixture(const AuditFixture&) = delete;
    AuditFixture& operator=(const AuditFixture&) = delete;

    // Appends n events "test.<i>" targeting artifact "uid<i>".
    void add(int n, const std::string& action = "test") {
        catalog->write_transaction([&] {
            for (int i = 0; i < n; ++i)
                append(*catalog, actor, {action, {"uid" + std::to_string(i)}, "ok", std::nullopt, {{"i", i}}});
        });
    }
    void sql(const std::string& statement) { catalog->db().exec(statement); }
};

} // namespace cairn::audit::testing
