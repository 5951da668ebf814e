#pragma once
// cairn's SQL is written with SQLite's parameters: positional `?`, numbered
// `?NNN` and named `:name`. PostgreSQL numbers them ($1, $2, ...). This rewrites one into the
// other outside string literals, quoted identifiers and comments, and keeps
// PostgreSQL's casts (`::type`) as they are.
#include <string>
#include <string_view>
#include <vector>

namespace cairn::catalog::db {

struct NumberedSql {
    std::string sql;                // with $1, $2, ...
    int n_params = 0;               // the highest $n
    std::vector<std::string> names; // names[k] is :name bound to $(k+1), when named
};

// Throws Error(internal) on a statement that mixes `?` and `:name`, or has
// an unterminated literal: such SQL is a bug in cairn, not user input.
NumberedSql number_parameters(std::string_view sql);

} // namespace cairn::catalog::db
