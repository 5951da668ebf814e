#include "core/catalog/db/statement.hpp"

#include "core/util/error.hpp"

namespace cairn::catalog::db {

int Statement::index_of(const char* name) const {
    std::string_view n(name);
    if (!n.empty() && (n.front() == ':' || n.front() == '@' || n.front() == '$')) n.remove_prefix(1);
    const int index = m_impl->index_of(n);
    if (index <= 0) throw Error(ErrorKind::internal, "SQL has no parameter :" + std::string(n));
    return index;
}

int64_t Statement::insertReturningId() {
    if (!executeStep()) throw Error(ErrorKind::internal, "INSERT ... RETURNING returned no row");
    const int64_t id = getColumn(0).getInt64();
    while (executeStep()) {
    }
    return id;
}

} // namespace cairn::catalog::db
