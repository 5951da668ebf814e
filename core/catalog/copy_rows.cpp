#include "core/catalog/copy_rows.hpp"

#include "core/catalog/schema.hpp"
#include "core/util/error.hpp"

namespace cairn::catalog {

namespace {

// The columns `table` has in `from` (SQLite), in order.
std::vector<std::string> columns_of(Catalog& from, const std::string& table) {
    sql::Statement q(from.sql(), "SELECT name FROM pragma_table_info(?) ORDER BY cid");
    q.bind(1, table);
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
}

void bind_value(sql::Statement& to, int index, const sql::Column& value) {
    switch (value.kind()) {
    case sql::Kind::null: to.bind(index); break;
    case sql::Kind::integer: to.bind(index, value.getInt64()); break;
    case sql::Kind::real: to.bind(index, value.getDouble()); break;
    case sql::Kind::text: to.bind(index, value.getString()); break;
    case sql::Kind::blob: to.bind(index, value.blob()); break;
    }
}

int64_t copy_table(Catalog& from, Catalog& to, const std::string& table) {
    const std::vector<std::string> columns = columns_of(from, table);
    if (columns.empty()) throw Error(ErrorKind::internal, "the " + from.name() + " has no table " + table);
    std::string names, params;
    for (size_t i = 0; i < columns.size(); ++i) {
        names += (i ? ", \"" : "\"") + columns[i] + "\""; // quoted: run has a column named user
        params += (i ? ", ?" : "?");
    }
    sql::Statement read(from.sql(), "SELECT " + names + " FROM " + table + " ORDER BY rowid");
    sql::Statement write(to.sql(), "INSERT INTO " + table + " (" + names + ") VALUES (" + params + ")");
    int64_t rows = 0;
    while (read.executeStep()) {
        for (int i = 0; i < static_cast<int>(columns.size()); ++i) bind_value(write, i + 1, read.getColumn(i));
        write.exec();
        write.reset();
        ++rows;
    }
    return rows;
}

// Identity columns hand out the next id from a sequence the copied rows did
// not advance.
void advance_identities(Catalog& to) {
    sql::Statement q(to.sql(), "SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE table_schema = current_schema() AND is_identity = 'YES'");
    std::vector<std::pair<std::string, std::string>> identities;
    while (q.executeStep()) identities.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
    for (const auto& [table, column] : identities) {
        sql::Statement set(to.sql(), "SELECT setval(pg_get_serial_sequence(quote_ident(?), ?), "
                                     "COALESCE((SELECT max(" + column + ") FROM " + table + "), 0) + 1, false)");
        set.bind(1, table);
        set.bind(2, column);
        set.executeStep();
    }
}

} // namespace

std::vector<std::pair<std::string, int64_t>> copy_rows(Catalog& from, Catalog& to) {
    std::vector<std::pair<std::string, int64_t>> out;
    // The migrations wrote default settings; the source's replace them.
    to.sql().execute("DELETE FROM instance_info");
    for (const char* table : schema_tables()) out.emplace_back(table, copy_table(from, to, table));
    if (!to.is_sqlite()) advance_identities(to);
    return out;
}

} // namespace cairn::catalog
