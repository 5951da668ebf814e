// Not a test: open_test_catalog() (core/catalog/testing.hpp), compiled into
// the test binary only, hence the _test suffix.
#include "core/catalog/testing.hpp"

#include "core/catalog/db/pg_connection.hpp"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace cairn::catalog::testing {

namespace {

const char* pg_conninfo() {
    const char* pg = std::getenv("CAIRN_TEST_PG");
    return pg && *pg ? pg : nullptr;
}

} // namespace

bool testing_postgres() { return pg_conninfo() != nullptr; }

std::unique_ptr<Catalog> open_test_catalog(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    const char* pg = pg_conninfo();
    if (!pg) return Catalog::open(dir / "catalog.db", true);
    static std::atomic<int> counter{0};
    const std::string schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    db::PgConnection(pg).execute("CREATE SCHEMA " + schema);
    // Every connection of this catalog works in its schema only.
    auto catalog = Catalog::open_postgres(std::string(pg) + " options='-csearch_path=" + schema + "'", dir, true);
    catalog->migrate();
    return catalog;
}

namespace {

sql::Statement first_row(Catalog& c, const std::string& sql) {
    sql::Statement q(c.sql(), sql);
    if (!q.executeStep()) throw std::runtime_error("no row from: " + sql);
    return q;
}

} // namespace

int64_t query_int(Catalog& c, const std::string& sql) { return first_row(c, sql).getColumn(0).getInt64(); }

std::string query_text(Catalog& c, const std::string& sql) { return first_row(c, sql).getColumn(0).getString(); }

void execute_as_owner(Catalog& c, const std::string& sql) {
    as_owner(c, [&] { c.sql().execute(sql); });
}

void as_owner(Catalog& c, const std::function<void()>& action) {
    if (c.is_sqlite()) {
        action();
        return;
    }
    static const char* const k_guarded[] = {"audit_event", "audit_target", "audit_anchor"};
    const auto set_triggers = [&](const char* state) {
        for (const char* table : k_guarded)
            c.sql().execute(std::string("ALTER TABLE ") + table + " " + state + " TRIGGER USER");
    };
    set_triggers("DISABLE");
    try {
        action();
    } catch (...) {
        set_triggers("ENABLE");
        throw;
    }
    set_triggers("ENABLE");
}

} // namespace cairn::catalog::testing
