#include "core/catalog/db/placeholders.hpp"

#include "core/util/error.hpp"

#include <algorithm>

namespace cairn::catalog::db {

namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// The index just past the quoted run that starts at `i` (a '...' literal or
// a "..." identifier; a doubled quote inside stays inside).
size_t skip_quoted(std::string_view sql, size_t i) {
    const char quote = sql[i];
    for (size_t j = i + 1; j < sql.size(); ++j) {
        if (sql[j] != quote) continue;
        if (j + 1 < sql.size() && sql[j + 1] == quote) { ++j; continue; }
        return j + 1;
    }
    throw Error(ErrorKind::internal, "unterminated quote in SQL: " + std::string(sql));
}

} // namespace

NumberedSql number_parameters(std::string_view sql) {
    NumberedSql out;
    bool positional = false;
    for (size_t i = 0; i < sql.size();) {
        const char c = sql[i];
        if (c == '\'' || c == '"') {
            const size_t end = skip_quoted(sql, i);
            out.sql.append(sql.substr(i, end - i));
            i = end;
        } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            const size_t end = std::min(sql.find('\n', i), sql.size());
            out.sql.append(sql.substr(i, end - i));
            i = end;
        } else if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':') {
            out.sql.append("::");
            i += 2;
        } else if (c == ':' && i + 1 < sql.size() && name_start(sql[i + 1])) {
            size_t end = i + 1;
            while (end < sql.size() && name_char(sql[end])) ++end;
            const std::string name(sql.substr(i + 1, end - i - 1));
            auto found = std::find(out.names.begin(), out.names.end(), name);
            if (found == out.names.end()) found = out.names.insert(out.names.end(), name);
            out.sql += "$" + std::to_string(found - out.names.begin() + 1);
            i = end;
        } else if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
            // ?NNN: SQLite's numbered parameter, the same as PostgreSQL's $NNN.
            size_t end = i + 1;
            while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') ++end;
            const int n = std::stoi(std::string(sql.substr(i + 1, end - i - 1)));
            positional = true;
            out.n_params = std::max(out.n_params, n);
            out.sql += "$" + std::to_string(n);
            i = end;
        } else if (c == '?') {
            positional = true;
            out.sql += "$" + std::to_string(++out.n_params);
            ++i;
        } else {
            out.sql += c;
            ++i;
        }
    }
    if (positional && !out.names.empty())
        throw Error(ErrorKind::internal, "SQL mixes ? and :name parameters: " + std::string(sql));
    if (!positional) out.n_params = static_cast<int>(out.names.size());
    return out;
}

} // namespace cairn::catalog::db
