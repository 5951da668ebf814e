#include "core/catalog/copy_rows.hpp"

#include "core/catalog/schema.hpp"
#include "core/util/error.hpp"

#include <algorithm>
#include <optional>
#include <span>

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

// One column's value of a source row, kept until its batch is written.
struct Cell {
    sql::Kind kind = sql::Kind::null;
    int64_t integer = 0;
    double real = 0;
    std::string bytes; // text or blob
};

Cell cell_of(const sql::Column& c) {
    Cell v;
    v.kind = c.kind();
    switch (v.kind) {
    case sql::Kind::null: break;
    case sql::Kind::integer: v.integer = c.getInt64(); break;
    case sql::Kind::real: v.real = c.getDouble(); break;
    case sql::Kind::text: v.bytes = c.getString(); break;
    case sql::Kind::blob: {
        const auto b = c.blob();
        v.bytes.assign(reinterpret_cast<const char*>(b.data()), b.size());
        break;
    }
    }
    return v;
}

void bind_cell(sql::Statement& to, int index, const Cell& v) {
    switch (v.kind) {
    case sql::Kind::null: to.bind(index); break;
    case sql::Kind::integer: to.bind(index, v.integer); break;
    case sql::Kind::real: to.bind(index, v.real); break;
    case sql::Kind::text: to.bind(index, v.bytes); break;
    case sql::Kind::blob: to.bind(index, std::as_bytes(std::span(v.bytes.data(), v.bytes.size()))); break;
    }
}

// "(?, ?, ...)" for one row of `columns` values, `rows` times.
std::string value_rows(size_t columns, size_t rows) {
    std::string row = "(";
    for (size_t i = 0; i < columns; ++i) row += i ? ", ?" : "?";
    row += ")";
    std::string out;
    for (size_t r = 0; r < rows; ++r) out += (r ? ", " : "") + row;
    return out;
}

// Rows go over in batches, one INSERT with many VALUES rows each: one round
// trip per batch instead of one per row. A batch stays under both
// databases' limits on parameters per statement (SQLite 32,766; PostgreSQL
// 65,535).
constexpr size_t k_max_batch_rows = 500;
constexpr size_t k_max_batch_params = 30000;

int64_t copy_table(Catalog& from, Catalog& to, const std::string& table) {
    const std::vector<std::string> columns = columns_of(from, table);
    if (columns.empty()) throw Error(ErrorKind::internal, "the " + from.name() + " has no table " + table);
    std::string names;
    for (size_t i = 0; i < columns.size(); ++i)
        names += (i ? ", \"" : "\"") + columns[i] + "\""; // quoted: run has a column named user
    const size_t n = columns.size();
    const size_t batch_rows = std::max<size_t>(1, std::min(k_max_batch_rows, k_max_batch_params / n));
    const std::string insert = "INSERT INTO " + table + " (" + names + ") VALUES ";
    std::optional<sql::Statement> full; // prepared at the first full batch
    std::vector<Cell> batch;
    batch.reserve(batch_rows * n);
    const auto write = [&](sql::Statement& q) {
        for (size_t i = 0; i < batch.size(); ++i) bind_cell(q, static_cast<int>(i + 1), batch[i]);
        q.exec();
        q.reset();
        batch.clear();
    };
    sql::Statement read(from.sql(), "SELECT " + names + " FROM " + table + " ORDER BY rowid");
    int64_t rows = 0;
    while (read.executeStep()) {
        for (size_t i = 0; i < n; ++i) batch.push_back(cell_of(read.getColumn(static_cast<int>(i))));
        ++rows;
        if (batch.size() == batch_rows * n) {
            if (!full) full.emplace(to.sql(), insert + value_rows(n, batch_rows));
            write(*full);
        }
    }
    if (!batch.empty()) {
        sql::Statement rest(to.sql(), insert + value_rows(n, batch.size() / n));
        write(rest);
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
