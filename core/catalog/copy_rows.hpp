#pragma once
// Copying a catalog's rows into another database (catalog migrate): every
// table of the schema, every column, each value with the kind it was stored
// as, so the audit chain hashes the same values on the copy.
#include "core/catalog/catalog.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cairn::catalog {

// Copies every row of `from` into `to`, whose schema is at the same version
// and whose tables are empty but for the settings its migrations wrote
// (instance_info, replaced by `from`'s), in the callers' transactions; then moves
// `to`'s identity sequences past the copied ids. Rows copied per table.
std::vector<std::pair<std::string, int64_t>> copy_rows(Catalog& from, Catalog& to);

} // namespace cairn::catalog
