#include "core/catalog/db/pg_connection.hpp"

#include "core/catalog/db/libpq_api.hpp"
#include "core/catalog/db/pg_errors.hpp"
#include "core/catalog/db/placeholders.hpp"
#include "core/util/error.hpp"
#include "core/util/utf8.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <map>
#include <optional>
#include <vector>

namespace cairn::catalog::db {

namespace {

// Type OIDs of pg_type that cairn's columns come back as.
constexpr Oid k_bool = 16;
constexpr Oid k_bytea = 17;
constexpr Oid k_int8 = 20;
constexpr Oid k_int2 = 21;
constexpr Oid k_int4 = 23;
constexpr Oid k_float4 = 700;
constexpr Oid k_float8 = 701;
constexpr Oid k_numeric = 1700;

Kind kind_of_type(Oid type) {
    switch (type) {
    case k_bool:
    case k_int2:
    case k_int4:
    case k_int8: return Kind::integer;
    case k_float4:
    case k_float8:
    case k_numeric: return Kind::real;
    case k_bytea: return Kind::blob;
    default: return Kind::text;
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// bytea in text results is "\x" followed by hex (bytea_output = hex).
std::vector<std::byte> decode_bytea(const char* text, int length) {
    std::vector<std::byte> out;
    if (length < 2 || text[0] != '\\' || text[1] != 'x')
        throw Error(ErrorKind::internal, "unexpected bytea text from PostgreSQL (bytea_output must be hex)");
    out.reserve(static_cast<size_t>(length - 2) / 2);
    for (int i = 2; i + 1 < length; i += 2) {
        const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) throw Error(ErrorKind::internal, "bad bytea hex from PostgreSQL");
        out.push_back(static_cast<std::byte>(hi * 16 + lo));
    }
    return out;
}

class PgResult {
public:
    explicit PgResult(PGresult* r = nullptr) : m_r(r) {}
    PgResult(PgResult&& o) noexcept : m_r(o.m_r) { o.m_r = nullptr; }
    PgResult& operator=(PgResult&& o) noexcept {
        std::swap(m_r, o.m_r);
        return *this;
    }
    ~PgResult() {
        if (m_r) libpq().clear(m_r);
    }
    PGresult* get() const { return m_r; }

private:
    PGresult* m_r;
};

// Throws the error of a failed command, or returns its result.
PgResult checked(PGconn* conn, PGresult* raw) {
    PgResult r(raw);
    const auto& pq = libpq();
    if (!raw) throw pg_error("", pq.error_message(conn));
    const ExecStatusType st = pq.result_status(raw);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    const char* state = pq.result_error_field(raw, PG_DIAG_SQLSTATE);
    const char* message = pq.result_error_field(raw, PG_DIAG_MESSAGE_PRIMARY);
    throw pg_error(state ? state : "", message ? message : pq.error_message(conn));
}

class PgStatement final : public StatementImpl {
public:
    PgStatement(PGconn* conn, std::string_view sql) : m_conn(conn), m_sql(number_parameters(sql)) {
        m_values.resize(static_cast<size_t>(m_sql.n_params));
        m_formats.resize(static_cast<size_t>(m_sql.n_params), 0);
        m_types.resize(static_cast<size_t>(m_sql.n_params), 0);
    }

    int index_of(std::string_view name) const override {
        for (size_t k = 0; k < m_sql.names.size(); ++k)
            if (m_sql.names[k] == name) return static_cast<int>(k + 1);
        return 0;
    }
    // Integers, doubles and blobs are sent typed, so "? IS NULL" or
    // "COALESCE(?, 0)" need no cast; text and NULL take the type the SQL
    // gives them (as with SQLite, which has no parameter types).
    void bind_null(int i) override { set(i, std::nullopt, 0, 0); }
    void bind_int(int i, int64_t v) override { set(i, std::to_string(v), 0, k_int8); }
    void bind_double(int i, double v) override {
        char buf[64];
        auto end = std::to_chars(buf, buf + sizeof buf, v).ptr; // shortest exact form
        set(i, std::string(buf, end), 0, k_float8);
    }
    void bind_text(int i, std::string_view v) override {
        // PostgreSQL refuses such text with SQLSTATE 22021, which would read
        // as an internal error; it is input (a file name in another encoding).
        if (!is_valid_utf8(v))
            throw Error(ErrorKind::usage, "a value is not valid UTF-8, and a PostgreSQL catalog stores only UTF-8 text",
                        "pass names, keys and paths in UTF-8 (rename a file whose name uses another encoding)");
        set(i, std::string(v), 0, 0);
    }
    void bind_blob(int i, std::span<const std::byte> v) override {
        set(i, std::string(reinterpret_cast<const char*>(v.data()), v.size()), 1, k_bytea);
    }

    void page_rows() override { m_paged = true; }

    bool step() override {
        if (!m_executed) execute(m_paged);
        ++m_row;
        m_blobs.clear();
        if (m_row < libpq().ntuples(m_result.get())) return true;
        if (!m_more) return false;
        fetch_page();
        m_row = 0;
        return m_row < libpq().ntuples(m_result.get());
    }
    int64_t run() override {
        execute(false);
        const char* n = libpq().cmd_tuples(m_result.get());
        return n && *n ? std::stoll(n) : 0;
    }
    // A cursor is not closed here: it goes with its transaction, and a CLOSE
    // after that transaction ended would fail (and abort the next one).
    void reset() override {
        m_executed = false;
        m_more = false;
        m_result = PgResult();
        m_row = -1;
        m_blobs.clear();
    }
    void clear_bindings() override {
        for (auto& v : m_values) v.reset();
        std::fill(m_formats.begin(), m_formats.end(), 0);
        std::fill(m_types.begin(), m_types.end(), 0);
    }
    int column_count() const override { return m_result.get() ? libpq().nfields(m_result.get()) : 0; }
    bool is_null(int c) const override { return libpq().getisnull(row_result(c), m_row, c) != 0; }
    Kind kind(int c) const override {
        return is_null(c) ? Kind::null : kind_of_type(libpq().ftype(m_result.get(), c));
    }
    Value value(int c) const override {
        Value out;
        out.kind = kind(c);
        if (out.kind == Kind::integer) out.integer = get_int(c);
        else if (out.kind != Kind::null) out.bytes = get_text(c);
        return out;
    }
    int64_t get_int(int c) const override {
        if (is_null(c)) return 0;
        const char* text = libpq().getvalue(m_result.get(), m_row, c);
        if (libpq().ftype(m_result.get(), c) == k_bool) return text[0] == 't' ? 1 : 0;
        int64_t v = 0;
        const char* end = text + libpq().getlength(m_result.get(), m_row, c);
        auto [p, ec] = std::from_chars(text, end, v);
        if (ec != std::errc() || p != end)
            throw Error(ErrorKind::internal, "column " + std::to_string(c) + " is not an integer: " + text);
        return v;
    }
    double get_double(int c) const override {
        if (is_null(c)) return 0;
        return std::stod(libpq().getvalue(m_result.get(), m_row, c));
    }
    std::string_view get_text(int c) const override {
        if (is_null(c)) return {};
        if (libpq().ftype(m_result.get(), c) == k_bytea) {
            auto b = get_blob(c);
            return {reinterpret_cast<const char*>(b.data()), b.size()};
        }
        return {libpq().getvalue(m_result.get(), m_row, c),
                static_cast<size_t>(libpq().getlength(m_result.get(), m_row, c))};
    }
    std::span<const std::byte> get_blob(int c) const override {
        if (is_null(c)) return {};
        const char* text = libpq().getvalue(m_result.get(), m_row, c);
        const int length = libpq().getlength(m_result.get(), m_row, c);
        if (libpq().ftype(m_result.get(), c) != k_bytea)
            return {reinterpret_cast<const std::byte*>(text), static_cast<size_t>(length)};
        auto& decoded = m_blobs[c];
        if (!decoded) decoded = decode_bytea(text, length);
        return *decoded;
    }

private:
    void set(int i, std::optional<std::string> value, int format, Oid type) {
        if (i < 1 || i > m_sql.n_params)
            throw Error(ErrorKind::internal, "SQL parameter " + std::to_string(i) + " out of range: " + m_sql.sql);
        m_values[static_cast<size_t>(i - 1)] = std::move(value);
        m_formats[static_cast<size_t>(i - 1)] = format;
        m_types[static_cast<size_t>(i - 1)] = type;
    }

    // Runs the statement; `paged` inside a transaction: declares a cursor
    // for it and fetches the first page (Rows::paged).
    void execute(bool paged) {
        std::vector<const char*> values;
        std::vector<int> lengths;
        for (const auto& v : m_values) {
            values.push_back(v ? v->data() : nullptr);
            lengths.push_back(v ? static_cast<int>(v->size()) : 0);
        }
        const auto& pq = libpq();
        const bool cursor = paged && pq.transaction_status(m_conn) == PQTRANS_INTRANS;
        m_cursor = cursor ? "cairn_rows_" + std::to_string(++s_cursors) : "";
        const std::string sql = cursor ? "DECLARE " + m_cursor + " NO SCROLL CURSOR FOR " + m_sql.sql : m_sql.sql;
        m_result = checked(m_conn, pq.exec_params(m_conn, sql.c_str(), m_sql.n_params, m_types.data(), values.data(),
                                                  lengths.data(), m_formats.data(), 0));
        m_executed = true;
        m_more = false;
        if (cursor) fetch_page();
        m_row = -1;
        m_blobs.clear();
    }

    // The next page of the open cursor; m_more: it was a full page.
    void fetch_page() {
        const std::string fetch = "FETCH FORWARD " + std::to_string(k_page_rows) + " FROM " + m_cursor;
        m_result = checked(m_conn, libpq().exec(m_conn, fetch.c_str()));
        m_more = libpq().ntuples(m_result.get()) == k_page_rows;
        m_blobs.clear();
    }

    const PGresult* row_result(int c) const {
        if (!m_result.get() || m_row < 0 || m_row >= libpq().ntuples(m_result.get()) || c < 0 ||
            c >= libpq().nfields(m_result.get()))
            throw Error(ErrorKind::internal, "no column " + std::to_string(c) + " in the current row");
        return m_result.get();
    }

    PGconn* m_conn;
    NumberedSql m_sql;
    std::vector<std::optional<std::string>> m_values;
    std::vector<int> m_formats;
    std::vector<Oid> m_types;
    PgResult m_result;
    bool m_executed = false;
    int m_row = -1;
    bool m_paged = false;  // Rows::paged
    std::string m_cursor;  // the open cursor's name, when paged
    bool m_more = false;   // the cursor may hold more rows
    static inline std::atomic<uint64_t> s_cursors = 0; // names cursors uniquely in a process
    mutable std::map<int, std::optional<std::vector<std::byte>>> m_blobs;
};

} // namespace

PgConnection::PgConnection(const std::string& conninfo) {
    const auto& pq = libpq();
    m_conn = pq.connectdb(conninfo.c_str());
    if (!m_conn || pq.status(m_conn) != CONNECTION_OK) {
        const std::string why = m_conn ? pq.error_message(m_conn) : "out of memory";
        if (m_conn) pq.finish(m_conn);
        m_conn = nullptr;
        throw pg_connect_error(why);
    }
    // One text form for every value, whatever the server's defaults; no
    // NOTICE lines on stderr. A lock (a writer's advisory lock too) waited
    // for longer than SQLite's busy timeout fails with 55P03, exit 8.
    checked(m_conn, pq.exec(m_conn, "SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC';"
                             " SET client_min_messages = warning; SET lock_timeout = '30s'"));
}

PgConnection::~PgConnection() {
    if (m_conn) libpq().finish(m_conn);
}

std::unique_ptr<StatementImpl> PgConnection::prepare(std::string_view sql) {
    return std::make_unique<PgStatement>(m_conn, sql);
}

void PgConnection::execute(std::string_view sql) { checked(m_conn, libpq().exec(m_conn, std::string(sql).c_str())); }

bool PgConnection::in_transaction() const {
    return libpq().transaction_status(m_conn) != PQTRANS_IDLE;
}

std::string PgConnection::describe() const {
    const auto& pq = libpq();
    auto text = [](const char* s) { return std::string(s ? s : ""); };
    std::string host = text(pq.host(m_conn));
    if (host.find(':') != std::string::npos) host = "[" + host + "]"; // IPv6
    return host + ":" + text(pq.port(m_conn)) + "/" + text(pq.db(m_conn));
}

bool PgConnection::encrypted() const { return libpq().ssl_in_use(m_conn) != 0; }

} // namespace cairn::catalog::db
