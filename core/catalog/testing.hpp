#pragma once
// For unit tests: a fresh, empty catalog. On SQLite (the default) a new
// catalog.db in `dir`; with CAIRN_TEST_PG set (a libpq conninfo of a
// throwaway server, tests/pg/ starts one), a new schema of its own on that
// server, so the same tests check both catalogs. `dir` holds the audit keys
// either way.
#include "core/catalog/catalog.hpp"

#include <filesystem>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cairn::catalog::testing {

std::unique_ptr<Catalog> open_test_catalog(const std::filesystem::path& dir);

// Whether open_test_catalog() gives PostgreSQL catalogs in this run.
bool testing_postgres();

// The first column of the first row of `sql` (tests' one-line checks);
// throws if there is no row.
int64_t query_int(Catalog& c, const std::string& sql);
std::string query_text(Catalog& c, const std::string& sql);

// Runs `sql` as the owner of the database could: on PostgreSQL with the
// triggers that keep the audit trail append-only disabled for it (schema
// migration 6), so tests can forge the trail and see `audit verify` find it.
void execute_as_owner(Catalog& c, const std::string& sql);
void as_owner(Catalog& c, const std::function<void()>& action);

} // namespace cairn::catalog::testing
