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

} // namespace cairn::catalog::db
