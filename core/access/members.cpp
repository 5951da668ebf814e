#include "core/access/members.hpp"

#include "core/access/identity.hpp"
#include "core/access/member_audit.hpp"
#include "core/audit/keys.hpp"
#include "core/audit/audit.hpp"
#include "core/catalog/db_roles.hpp"
#include "core/instance/instance.hpp"
#include "core/keys/keyring.hpp"
#include "core/keys/members.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/time.hpp"

#include <algorithm>

namespace cairn::access {

namespace stdfs = std::filesystem;

namespace {

constexpr const char* k_member_columns =
    "id, name, public_key, fingerprint, role, wrapped_instance_key, key_id, created_at, revoked_at, db_login,"
    " signing_key, wrapped_audit_key";
constexpr uintmax_t k_max_public_key_bytes = 64 * 1024;

MemberRow read_member(sql::Statement& q) {
    MemberRow m;
    m.id = q.getColumn(0).getInt64();
    m.name = q.getColumn(1).getString();
    m.public_key = q.getColumn(2).getString();
    m.fingerprint = q.getColumn(3).getString();
    m.role = keys::parse_role(q.getColumn(4).getString());
    if (!q.getColumn(5).isNull())
        m.wrapped_instance_key.assign(static_cast<const char*>(q.getColumn(5).getBlob()),
                                      static_cast<size_t>(q.getColumn(5).getBytes()));
    m.key_id = q.getColumn(6).getString();
    m.created_at = q.getColumn(7).getInt64();
    if (!q.getColumn(8).isNull()) m.revoked_at = q.getColumn(8).getInt64();
    if (!q.getColumn(9).isNull()) m.db_login = q.getColumn(9).getString();
    if (!q.getColumn(10).isNull()) m.signing_key = q.getColumn(10).getString();
    if (!q.getColumn(11).isNull())
        m.wrapped_audit_key.assign(static_cast<const char*>(q.getColumn(11).getBlob()),
                                   static_cast<size_t>(q.getColumn(11).getBytes()));
    return m;
}

std::string read_public_key(const stdfs::path& file) {
    std::error_code ec;
    const auto size = stdfs::file_size(file, ec);
    if (ec)
        throw Error(ErrorKind::not_found,
                    "cannot read public key " + file.string() + ": " + ec.message());
    if (size > k_max_public_key_bytes)
        throw Error(ErrorKind::usage,
                    "public key " + file.string() + " is too large to be a PEM public key");
    return fs::read_file(file);
}

std::vector<ExposedArtifact> artifacts_saved_before(catalog::Catalog& catalog, int64_t time_ms) {
    std::vector<ExposedArtifact> out;
    sql::Statement q(catalog.sql(),
                        "SELECT uid, key, version FROM artifact"
                        " WHERE state != 'deleted' AND created_at <= ? ORDER BY key, version");
    q.bind(1, time_ms);
    while (q.executeStep())
        out.push_back(
            {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt()});
    return out;
}

} // namespace

void validate_member_name(const std::string& name) {
    const bool ok =
        !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '@' || c == '-';
        });
    if (!ok)
        throw Error(ErrorKind::usage, "invalid member name",
                    "use 1 to 64 letters, digits and . _ @ - (e.g. ann or ann@example.org)");
}

std::vector<MemberRow> list_members(catalog::Catalog& catalog, bool include_revoked) {
    sql::Statement q(catalog.sql(), std::string("SELECT ") + k_member_columns + " FROM member" +
                                          (include_revoked ? "" : " WHERE revoked_at IS NULL") +
                                          " ORDER BY name");
    std::vector<MemberRow> out;
    while (q.executeStep())
        out.push_back(read_member(q));
    return out;
}

std::optional<MemberRow> find_member(catalog::Catalog& catalog, const std::string& name) {
    sql::Statement q(catalog.sql(),
                        std::string("SELECT ") + k_member_columns + " FROM member WHERE name = ?");
    q.bind(1, name);
    if (q.executeStep()) return read_member(q);
    return std::nullopt;
}

std::vector<MemberRow> find_by_fingerprint(catalog::Catalog& catalog,
                                           const std::string& fingerprint) {
    sql::Statement q(catalog.sql(), std::string("SELECT ") + k_member_columns +
                                          " FROM member WHERE fingerprint = ?"
                                          " ORDER BY revoked_at IS NOT NULL, revoked_at DESC");
    q.bind(1, fingerprint);
    std::vector<MemberRow> out;
    while (q.executeStep())
        out.push_back(read_member(q));
    return out;
}

MemberRow grant(Instance& inst, const GrantOptions& o) {
    validate_member_name(o.name);
    keys::require(inst.principal(), keys::Action::administer);
    // Refused before any key is opened: --db-login on SQLite, a database name too long for roles.
    if (!o.db_login.empty()) (void)catalog::db_role_name(inst.catalog(), o.role);
    const std::string pem = read_public_key(o.public_key_file);
    const std::string fingerprint = keys::member_fingerprint(pem);
    catalog::Catalog& catalog = inst.catalog();
    const keys::OpenedKeyFile opened =
        open_instance_key(catalog, inst.key_path(), inst.principal());
    // A purger deletes and certifies but never reads: its grant holds no key.
    const std::string wrapped = o.role == keys::Role::purger ? "" : keys::wrap_for_member(opened.key, pem);
    const std::string key_id = keys::key_id_of(opened.key);
    // Every member appends events, so every grant carries the audit key: a
    // machine set up with 'cairn connect' has no audit.key of its own.
    const std::string wrapped_audit = keys::wrap_for_member(audit_key(catalog, inst.dir(), inst.principal()), pem);
    const std::string signing_key =
        o.signing_key_file.empty()
            ? ""
            : audit::public_key_hex(audit::public_key_from_pem(read_public_key(o.signing_key_file),
                                                               "signing key " + o.signing_key_file.string()));

    catalog.write_transaction([&] {
        if (current_key_id(catalog).value_or(key_id) != key_id)
            throw Error(ErrorKind::conflict,
                        "the instance key changed while granting; nothing was changed",
                        "run the command again");
        auto existing = find_member(catalog, o.name);
        if (existing && !existing->revoked_at)
            throw Error(ErrorKind::conflict,
                        "member '" + o.name + "' already exists (" +
                            keys::role_name(existing->role) + ")",
                        "to change the key or role, revoke the member first");
        for (const auto& other : find_by_fingerprint(catalog, fingerprint))
            if (!other.revoked_at)
                throw Error(ErrorKind::conflict,
                            "this public key already belongs to member '" + other.name + "'");
        if (!signing_key.empty())
            for (const auto& other : list_members(catalog, false))
                if (other.signing_key == signing_key)
                    throw Error(ErrorKind::conflict,
                                "this signing key already belongs to member '" + other.name + "'",
                                "each member signs with a key of their own");
        sql::Statement q(catalog.sql(),
            existing ? "UPDATE member SET public_key = ?1, fingerprint = ?2, role = ?3,"
                       " wrapped_instance_key = ?4, key_id = ?5, created_at = ?6, revoked_at = NULL,"
                       " db_login = ?8, signing_key = ?9, wrapped_audit_key = ?10 WHERE name = ?7"
                     : "INSERT INTO member (public_key, fingerprint, role, wrapped_instance_key,"
                       " key_id, created_at, name, db_login, signing_key, wrapped_audit_key)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
        q.bind(1, pem);
        q.bind(2, fingerprint);
        q.bind(3, keys::role_name(o.role));
        if (wrapped.empty()) q.bind(4);
        else q.bind(4, wrapped.data(), static_cast<int>(wrapped.size()));
        q.bind(5, key_id);
        q.bind(6, static_cast<int64_t>(now_ms()));
        q.bind(7, o.name);
        if (o.db_login.empty()) q.bind(8);
        else q.bind(8, o.db_login);
        if (signing_key.empty()) q.bind(9);
        else q.bind(9, signing_key);
        q.bind(10, wrapped_audit.data(), static_cast<int>(wrapped_audit.size()));
        q.exec();
        nlohmann::json details = {{"member", o.name}, {"role", keys::role_name(o.role)}, {"fingerprint", fingerprint}};
        // What verify registers the key from (core/audit/event_signatures.hpp).
        if (!signing_key.empty()) details["signing_key"] = signing_key;
        if (!o.db_login.empty()) {
            catalog::grant_db_role(catalog, o.db_login, o.role);
            details["db_login"] = o.db_login;
            details["db_role"] = catalog::db_role_name(catalog, o.role);
        }
        audit::append(catalog, inst.actor(), {"access.grant", {}, "ok", std::nullopt, details});
    });
    return *find_member(catalog, o.name);
}

RevokeResult revoke(Instance& inst, const std::string& name) {
    validate_member_name(name);
    const keys::Principal& who = inst.principal();
    keys::require(who, keys::Action::administer);
    if (who.kind == keys::Principal::Kind::member && who.name == name)
        throw Error(ErrorKind::usage, "cannot revoke the member key this command runs with",
                    "run it as another admin or with the instance key file");
    catalog::Catalog& catalog = inst.catalog();
    auto member = find_member(catalog, name);
    if (!member || member->revoked_at)
        throw Error(ErrorKind::not_found, "no active member named '" + name + "'",
                    "see 'cairn access ls'");

    RevokeResult result;
    result.member = *member;
    RotateOptions o;
    o.audit_action = "access.revoke";
    o.audit_details = {{"member", name}, {"fingerprint", member->fingerprint}};
    o.in_transaction = [&]() -> nlohmann::json {
        result.revoked_at = now_ms();
        sql::Statement q(catalog.sql(),
                            "UPDATE member SET revoked_at = ?, wrapped_instance_key = NULL,"
                            " key_id = NULL, wrapped_audit_key = NULL WHERE id = ? AND revoked_at IS NULL");
        q.bind(1, result.revoked_at);
        q.bind(2, member->id);
        if (q.exec() != 1)
            throw Error(ErrorKind::conflict, "member '" + name + "' was revoked concurrently");
        result.exposed = artifacts_saved_before(catalog, result.revoked_at);
        nlohmann::json details = {{"artifacts_exposed", result.exposed.size()}};
        if (!member->db_login.empty()) {
            catalog::revoke_db_roles(catalog, member->db_login);
            details["db_login"] = member->db_login;
        }
        return details;
    };
    result.rotation = rotate_instance_key(inst, o);
    result.member.revoked_at = result.revoked_at;
    result.member.wrapped_instance_key.clear();
    return result;
}

} // namespace cairn::access
