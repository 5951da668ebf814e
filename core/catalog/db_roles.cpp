#include "core/catalog/db_roles.hpp"

#include "core/catalog/schema.hpp"
#include "core/util/error.hpp"

#include <array>

namespace cairn::catalog {

namespace {

constexpr std::array k_roles = {keys::Role::reader, keys::Role::writer, keys::Role::purger, keys::Role::admin};

// What each role may change, beyond reading every table. Every role
// appends to the audit trail (every command is audited, a refusal too) and
// records and destroys the copies its loads made (local_copy). The audit
// tables' triggers narrow UPDATE and DELETE there to purge's redaction and
// the pruning of year-old events, whoever holds the grant. Of instance_info
// (the instance's id, key id, settings) every role may write one row, when
// it last published an audit checkpoint (core/audit/published.hpp), which
// any command may do: row-level security holds the others to admins.
struct Grant {
    const char* privileges;
    const char* tables;
};
constexpr Grant k_every_role[] = {{"INSERT", "audit_event, audit_target"},
                                  {"INSERT, UPDATE", "local_copy, instance_info"}};

std::vector<Grant> grants_of(keys::Role role) {
    switch (role) {
    case keys::Role::reader:
        return {};
    case keys::Role::writer: // save and run
        return {{"INSERT, UPDATE", "artifact, run"},
                {"INSERT", "transform, run_input, storage"},
                {"INSERT, DELETE", "pending_upload"}};
    case keys::Role::purger: // purge request, cancel and run (which also erases names from runs)
        return {{"UPDATE", "artifact, audit_event, run"}, {"INSERT, UPDATE", "deletion_request, deletion_target"}};
    case keys::Role::admin: // everything cairn does, never DDL
        return {{"INSERT, UPDATE, DELETE",
                 "artifact, audit_anchor, audit_event, audit_target, deletion_request, deletion_target, "
                 "instance_info, local_copy, member, pending_upload, run, run_input, storage, transform"}};
    }
    return {};
}

std::string role_name_for(const std::string& database, keys::Role role) {
    return "cairn_" + database + "_" + keys::role_name(role);
}

std::string quote_ident(const std::string& name) {
    std::string out = "\"";
    for (char ch : name) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

std::string current_database(Catalog& c) {
    sql::Statement q(c.sql(), "SELECT current_database()");
    q.executeStep();
    return q.getColumn(0).getString();
}

bool role_exists(Catalog& c, const std::string& name) {
    sql::Statement q(c.sql(), "SELECT 1 FROM pg_roles WHERE rolname = ?");
    q.bind(1, name);
    return q.executeStep();
}

void require_postgres(Catalog& c) {
    if (c.is_sqlite())
        throw Error(ErrorKind::usage, "database roles exist only for a PostgreSQL catalog; " + c.name() + " is SQLite",
                    "leave out --db-login: on SQLite the file's permissions decide who may change it");
}

} // namespace

std::string db_role_name(Catalog& c, keys::Role role) {
    require_postgres(c);
    const std::string name = role_name_for(current_database(c), role);
    // PostgreSQL would silently cut a longer name, and two databases could share the cut.
    if (name.size() > 63)
        throw Error(ErrorKind::usage, "the database's name is too long for cairn's role names (" + name + ")",
                    "use a database whose name is at most 50 bytes");
    return name;
}

std::vector<std::string> db_role_grants(const std::string& database) {
    std::vector<std::string> out;
    // Every table (a new one gets its writers in grants_of) and PostgreSQL's schema version.
    std::string all_tables;
    for (const char* t : schema_tables()) all_tables += std::string(t) + ", ";
    all_tables += "cairn_schema_version";
    for (keys::Role role : k_roles) {
        const std::string who = quote_ident(role_name_for(database, role));
        out.push_back("GRANT SELECT ON " + all_tables + " TO " + who);
        for (const Grant& g : k_every_role) out.push_back(std::string("GRANT ") + g.privileges + " ON " + g.tables + " TO " + who);
        for (const Grant& g : grants_of(role)) out.push_back(std::string("GRANT ") + g.privileges + " ON " + g.tables + " TO " + who);
    }
    const auto role = [&](keys::Role r) { return quote_ident(role_name_for(database, r)); };
    // An admin's login may add and remove members of the three other roles
    // (access grant/revoke --db-login); making a login admin needs a login
    // that may create roles.
    for (keys::Role r : {keys::Role::reader, keys::Role::writer, keys::Role::purger})
        out.push_back("GRANT " + role(r) + " TO " + role(keys::Role::admin) + " WITH ADMIN OPTION");
    out.push_back("ALTER TABLE instance_info ENABLE ROW LEVEL SECURITY");
    out.push_back("CREATE POLICY everyone_reads ON instance_info FOR SELECT USING (true)");
    out.push_back("CREATE POLICY admin_writes ON instance_info FOR ALL TO " + role(keys::Role::admin) +
                  " USING (true) WITH CHECK (true)");
    out.push_back("CREATE POLICY members_mark_published ON instance_info FOR ALL TO " + role(keys::Role::reader) +
                  ", " + role(keys::Role::writer) + ", " + role(keys::Role::purger) +
                  " USING (name = 'audit_published_ms') WITH CHECK (name = 'audit_published_ms')");
    return out;
}

DbRolesMade create_db_roles(Catalog& c) {
    require_postgres(c);
    DbRolesMade made;
    sql::Statement may(c.sql(), "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user");
    if (!may.executeStep() || may.getColumn(0).getInt() == 0) {
        made.not_created = "this database login may not create roles (CREATEROLE)";
        return made;
    }
    for (keys::Role role : k_roles) {
        const std::string name = db_role_name(c, role);
        if (role_exists(c, name))
            throw Error(ErrorKind::conflict, "database role " + name + " already exists",
                        "its members would gain access to this instance: drop it (DROP ROLE) or use another database");
        c.sql().execute("CREATE ROLE " + quote_ident(name) + " NOLOGIN");
        made.names.push_back(name);
    }
    for (const std::string& grant : db_role_grants(current_database(c))) c.sql().execute(grant);
    return made;
}

// Runs a GRANT or REVOKE of membership. A login that may not create roles
// but is in the instance's admin role runs it as that role, which holds the
// ADMIN OPTION (PostgreSQL 15 does not pass it on to the role's members);
// SET LOCAL ends with the transaction, whatever happens.
namespace {

bool acts_through_admin_role(Catalog& c, const std::string& admin) {
    if (!role_exists(c, admin)) return false;
    sql::Statement q(c.sql(), "SELECT NOT (rolsuper OR rolcreaterole) AND pg_has_role(current_user, ?, 'MEMBER') "
                              "FROM pg_roles WHERE rolname = current_user");
    q.bind(1, admin);
    return q.executeStep() && q.getColumn(0).getInt() != 0;
}

void change_membership(Catalog& c, const std::string& statement) {
    const std::string admin = db_role_name(c, keys::Role::admin);
    const bool as_admin_role = acts_through_admin_role(c, admin);
    if (as_admin_role) c.sql().execute("SET LOCAL ROLE " + quote_ident(admin));
    c.sql().execute(statement);
    if (as_admin_role) c.sql().execute("RESET ROLE");
}

} // namespace

void grant_db_role(Catalog& c, const std::string& login, keys::Role role) {
    const std::string name = db_role_name(c, role);
    if (!role_exists(c, login))
        throw Error(ErrorKind::usage, "there is no database login named '" + login + "'",
                    "create it first (CREATE ROLE " + quote_ident(login) + " LOGIN), or leave out --db-login");
    if (!role_exists(c, name))
        throw Error(ErrorKind::config, "database role " + name + " does not exist",
                    "init creates it when its login may create roles; docs/TEAMS.md gives the SQL");
    change_membership(c, "GRANT " + quote_ident(name) + " TO " + quote_ident(login));
}

void revoke_db_roles(Catalog& c, const std::string& login) {
    if (!role_exists(c, login)) return;
    for (keys::Role role : k_roles) {
        const std::string name = db_role_name(c, role);
        sql::Statement member(c.sql(), "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                                       "JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = ? AND u.rolname = ?");
        member.bind(1, name);
        member.bind(2, login);
        if (member.executeStep()) change_membership(c, "REVOKE " + quote_ident(name) + " FROM " + quote_ident(login));
    }
}

} // namespace cairn::catalog
