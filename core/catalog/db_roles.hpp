#pragma once
// PostgreSQL roles for cairn's four member roles, so the database enforces
// least privilege for any login, not only cairn: a reader's login cannot
// change a catalog row even through psql. Each database has its own four
// NOLOGIN group roles, cairn_<database>_<role>; a member's login is made a
// member of one (access grant --db-login). The table each role may change
// is listed in db_roles.cpp, next to nothing else; docs/TEAMS.md shows it.
// The audit trail is append-only for every login whatever its grants
// (triggers, schema migration 6).
#include "core/catalog/catalog.hpp"
#include "core/keys/access.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cairn::catalog {

// "cairn_<database>_<role>". Usage error when the database's name is too
// long for PostgreSQL's 63-byte role names.
std::string db_role_name(Catalog& c, keys::Role role);

// Creates the four roles with their grants, in the caller's transaction
// (init, catalog migrate). A conflict (exit 8) when one of the roles
// already exists: its members would gain access to this instance.
struct DbRolesMade {
    std::vector<std::string> names; // the roles created, reader to admin
    std::string not_created;        // why none were (the login may not create roles)
};
DbRolesMade create_db_roles(Catalog& c);

// The GRANT and row-level security statements (for docs/TEAMS.md and
// tests), in the order create_db_roles runs them after creating the roles.
std::vector<std::string> db_role_grants(const std::string& database);

// Makes `login` a member of `role`'s group role (revoke: of none of them).
// A permission error (exit 6) when the admin's login may not.
void grant_db_role(Catalog& c, const std::string& login, keys::Role role);
void revoke_db_roles(Catalog& c, const std::string& login);

} // namespace cairn::catalog
