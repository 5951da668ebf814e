#pragma once
#include <string_view>
#include <vector>

namespace cairn::catalog {

// Migration N (1-based) brings the schema from user_version N-1 to N. Append
// only: never edit a migration that has shipped.
const std::vector<std::string_view>& migrations();

} // namespace cairn::catalog
