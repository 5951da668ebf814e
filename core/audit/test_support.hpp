#pragma once
// Shared fixture for the audit unit tests: a fresh catalog with audit keys
// in its own temporary directory.
#include "core/audit/audit.hpp"
#include "core/audit/keys.hpp"
#include "core/catalog/catalog.hpp"
#include "core/catalog/testing.hpp"
#include "core/util/random.hpp"

#include <filesystem>
#include <memory>
#include <span>
#include <vector>
#include <string>

namespace cairn::audit::testing {

struct AuditFixture {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("cairn-audit-" + random_hex(6));
    std::unique_ptr<catalog::Catalog> catalog;
    Actor actor{"alice", "alice", 1000, "host1", 42, "cairn ls"};

    AuditFixture() {
        catalog = catalog::testing::open_test_catalog(dir);
        create_audit_keys(dir);
        catalog->sql().execute("INSERT INTO instance_info (name, value) VALUES ('instance_id', 'inst-test')");
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
    // Back-dates the events `where` selects by `days`, as if written then
    // (on PostgreSQL also the time the database stored them, which decides
    // what audit prune may delete there).
    void age(int64_t days, const std::string& where) {
        const std::string by = std::to_string(days * 86'400'000);
        sql("UPDATE audit_event SET time_ms = time_ms - " + by +
            (catalog->is_sqlite() ? "" : ", stored_at = stored_at - " + by) + " WHERE " + where);
    }
    // As the database's owner could (triggers off on PostgreSQL): tests
    // forge the trail with it.
    void sql(const std::string& statement) { catalog::testing::execute_as_owner(*catalog, statement); }
    // Runs `statement` with `blob` as its one parameter.
    void sql(const std::string& statement, std::span<const std::byte> blob) {
        catalog::testing::as_owner(*catalog, [&] {
            sql::Statement q(catalog->sql(), statement);
            q.bind(1, blob);
            q.exec();
        });
    }
    // n random bytes, to forge a digest or chain value.
    static std::vector<std::byte> random_bytes(size_t n) {
        std::vector<std::byte> out(n);
        for (auto& b : out) b = static_cast<std::byte>(std::stoi(random_hex(1), nullptr, 16));
        return out;
    }
};

} // namespace cairn::audit::testing
