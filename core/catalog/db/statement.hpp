#pragma once
// One small SQL interface over the two catalogs: SQLite (one file, the
// embedded default) and PostgreSQL (a team's shared catalog, through libpq).
// Its shape is SQLiteCpp's (bind, executeStep, getColumn), so catalog code
// reads the same on both; the SQL is written once, in the dialect both
// accept, with `?` or `:name` parameters (placeholders.hpp numbers them for
// PostgreSQL). Values are 64-bit integers, doubles, UTF-8 text, blobs or
// NULL: whatever the database's own storage type, an integer column reads
// back as the same integer on both, which the audit MAC relies on.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace cairn::catalog::db {

enum class Dialect { sqlite, postgresql };

// What a value is, as the audit chain serialises it: SQLite's storage class,
// or on PostgreSQL the class of the column's type (integers and booleans are
// integer, bytea is blob, floating types are real, everything else text).
enum class Kind { null, integer, real, text, blob };

// A whole value in one call (the audit trail reads millions of them):
// `bytes` holds a text's or a blob's bytes, valid until the next step.
struct Value {
    Kind kind = Kind::null;
    int64_t integer = 0;
    std::string_view bytes;
};

// How a query's rows reach the client. `all`: at once (on PostgreSQL the
// whole result in one round trip, held in memory). `paged`: a page at a
// time, for scans of a whole table (audit verify over millions of events),
// so memory stays flat whatever the table's size: on PostgreSQL, inside a
// transaction, through a cursor (a round trip per page of k_page_rows);
// outside one, at once. SQLite steps row by row either way.
enum class Rows { all, paged };
inline constexpr int k_page_rows = 1000;

// What a prepared statement does; each connection type implements it.
class StatementImpl {
public:
    virtual ~StatementImpl() = default;
    // Rows::paged (before the first step); a no-op where rows come one by one.
    virtual void page_rows() {}
    // Parameters are 1-based; a name is given without its ':'.
    virtual int index_of(std::string_view name) const = 0;
    virtual void bind_null(int index) = 0;
    virtual void bind_int(int index, int64_t value) = 0;
    virtual void bind_double(int index, double value) = 0;
    virtual void bind_text(int index, std::string_view value) = 0;
    virtual void bind_blob(int index, std::span<const std::byte> value) = 0;
    virtual bool step() = 0;  // true while there is a row
    virtual int64_t run() = 0; // executes a statement without rows; rows changed
    virtual void reset() = 0;  // ready to run again, bindings kept
    virtual void clear_bindings() = 0; // every parameter NULL again
    virtual int column_count() const = 0;
    // Columns are 0-based, of the current row.
    virtual bool is_null(int column) const = 0;
    virtual Kind kind(int column) const = 0;
    virtual Value value(int column) const = 0;
    virtual int64_t get_int(int column) const = 0;
    virtual double get_double(int column) const = 0;
    // Valid until the statement steps again (SQLite: a BLOB's bytes as text).
    virtual std::string_view get_text(int column) const = 0;
    virtual std::span<const std::byte> get_blob(int column) const = 0;
};

class Connection {
public:
    virtual ~Connection() = default;
    virtual Dialect dialect() const = 0;
    virtual std::unique_ptr<StatementImpl> prepare(std::string_view sql) = 0;
    // Runs SQL without parameters or rows (may hold several statements).
    virtual void execute(std::string_view sql) = 0;
    // Whether a transaction is open (BEGIN without COMMIT or ROLLBACK yet).
    virtual bool in_transaction() const = 0;
};

// One value of the current row. Valid until the statement steps again.
class Column {
public:
    Column(const StatementImpl& s, int index) : m_s(s), m_index(index) {}
    bool isNull() const { return m_s.is_null(m_index); }
    bool isBlob() const { return kind() == Kind::blob; }
    Kind kind() const { return m_s.kind(m_index); }
    Value value() const { return m_s.value(m_index); }
    int64_t getInt64() const { return m_s.get_int(m_index); }
    int getInt() const { return static_cast<int>(m_s.get_int(m_index)); }
    double getDouble() const { return m_s.get_double(m_index); }
    std::string getString() const { return std::string(m_s.get_text(m_index)); }
    // Without a copy; valid until the statement steps again.
    std::string_view text() const { return m_s.get_text(m_index); }
    const void* getBlob() const { return m_s.get_blob(m_index).data(); }
    int getBytes() const { return static_cast<int>(m_s.get_blob(m_index).size()); }
    std::span<const std::byte> blob() const { return m_s.get_blob(m_index); }

private:
    const StatementImpl& m_s;
    int m_index;
};

class Statement {
public:
    Statement(Connection& c, std::string_view sql, Rows rows = Rows::all) : m_impl(c.prepare(sql)) {
        if (rows == Rows::paged) m_impl->page_rows();
    }

    void bind(int index) { m_impl->bind_null(index); }
    void bind(int index, int value) { m_impl->bind_int(index, value); }
    void bind(int index, int64_t value) { m_impl->bind_int(index, value); }
    void bind(int index, uint32_t value) { m_impl->bind_int(index, value); }
    void bind(int index, double value) { m_impl->bind_double(index, value); }
    void bind(int index, const std::string& value) { m_impl->bind_text(index, value); }
    void bind(int index, const char* value) { m_impl->bind_text(index, value); }
    void bind(int index, const void* data, int size) {
        m_impl->bind_blob(index, {static_cast<const std::byte*>(data), static_cast<size_t>(size)});
    }
    void bind(int index, std::span<const std::byte> value) { m_impl->bind_blob(index, value); }
    template <class... V> void bind(const char* name, V&&... value) {
        bind(index_of(name), std::forward<V>(value)...);
    }

    bool executeStep() { return m_impl->step(); }
    // Runs a statement that returns no rows; the number of rows changed.
    int64_t exec() { return m_impl->run(); }
    void reset() { m_impl->reset(); }
    void clearBindings() { m_impl->clear_bindings(); }
    int getColumnCount() const { return m_impl->column_count(); }
    Column getColumn(int index) const { return Column(*m_impl, index); }

    // Steps an INSERT ... RETURNING id to its end; the id.
    int64_t insertReturningId();

private:
    int index_of(const char* name) const;
    std::unique_ptr<StatementImpl> m_impl;
};

} // namespace cairn::catalog::db
