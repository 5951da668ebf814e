#pragma once
#include "core/catalog/db/statement.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cairn::catalog {

// Migration N (1-based) brings the schema from version N-1 to N. Append
// only: never change what a migration that has shipped does (its SQL may
// only be rewritten into an equivalent form, as for PostgreSQL).
//
// They are written once, in SQLite's dialect restricted to what PostgreSQL
// also accepts but for the type names, which migration_sql() translates;
// what only PostgreSQL can enforce (the audit trail's triggers) is a part
// run there alone.
size_t migration_count();

// Every table of the schema, each after the tables its rows refer to (the
// order rows can be copied in). A migration that adds one adds it here.
const std::vector<const char*>& schema_tables();

// Migration `index` (0-based) for `dialect`. On PostgreSQL: INTEGER becomes
// BIGINT (times are milliseconds), BLOB becomes BYTEA, TEXT columns collate
// "C" (bytewise, as SQLite compares), and an INTEGER PRIMARY KEY (SQLite's
// rowid) an identity column.
std::string migration_sql(size_t index, db::Dialect dialect);

} // namespace cairn::catalog
