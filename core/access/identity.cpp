#include "core/access/identity.hpp"

#include "core/access/members.hpp"
#include "core/keys/members.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/time.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cairn::access {

namespace stdfs = std::filesystem;

namespace {

void require_exists(const stdfs::path& path, const std::string& what, const std::string& hint) {
    std::error_code ec;
    if (!stdfs::exists(path, ec))
        throw Error(ErrorKind::permission, "no " + what + " at " + path.string(), hint);
}

MemberRow member_for_identity(catalog::Catalog& catalog, const stdfs::path& identity) {
    require_exists(identity, "member private key (CAIRN_IDENTITY)",
                   "set CAIRN_IDENTITY to your private key file");
    const std::string fingerprint = keys::member_fingerprint_of_private(identity);
    auto rows = find_by_fingerprint(catalog, fingerprint);
    if (rows.empty())
        throw Error(
            ErrorKind::permission,
            "the key in CAIRN_IDENTITY (fingerprint " + fingerprint +
                ") belongs to no member of this instance",
            "an admin can grant it: cairn access grant NAME --public-key PUBLIC.pem --role reader");
    if (rows.front().revoked_at)
        throw Error(ErrorKind::permission,
                    "access for member '" + rows.front().name + "' was revoked at " +
                        format_utc_ms(*rows.front().revoked_at) +
                        "; their key opens nothing in this instance",
                    "ask an admin to grant access again");
    return rows.front();
}

void require_current(catalog::Catalog& catalog, const std::string& key_id,
                     const keys::Principal& who) {
    auto current = current_key_id(catalog);
    if (!current || *current == key_id) return;
    if (who.kind == keys::Principal::Kind::write_only_key_file)
        throw Error(ErrorKind::permission,
                    "write-only key file " + who.name +
                        " is out of date: the instance key was rotated (key " + key_id + ", now " +
                        *current + ")",
                    "an admin can export a new one: cairn key export-write-only FILE");
    if (who.kind == keys::Principal::Kind::member)
        throw Error(ErrorKind::integrity, "the grant of " + keys::describe(who) + " is for key " +
                                              key_id + ", but the instance key is " + *current);
    throw Error(ErrorKind::permission,
                "key file " + who.name + " holds key " + key_id + ", but the instance key is now " +
                    *current + " (it was rotated)",
                "use the current key file; copies from before the rotation open nothing any more");
}

} // namespace

std::optional<stdfs::path> identity_from_env() {
    if (const char* env = std::getenv("CAIRN_IDENTITY"); env && *env) return stdfs::path(env);
    return std::nullopt;
}

std::optional<std::string> current_key_id(catalog::Catalog& catalog) {
    sql::Statement q(catalog.sql(), "SELECT value FROM instance_info WHERE name = 'key_id'");
    if (q.executeStep()) return q.getColumn(0).getString();
    return std::nullopt;
}

void set_current_key_id(catalog::Catalog& catalog, const std::string& key_id) {
    sql::Statement q(catalog.sql(), "INSERT INTO instance_info (name, value) VALUES ('key_id', ?)"
                                      " ON CONFLICT(name) DO UPDATE SET value = excluded.value");
    q.bind(1, key_id);
    q.exec();
}

stdfs::path pending_key_path(const stdfs::path& key_file, const std::string& key_id) {
    return stdfs::path(key_file.string() + ".new-" + key_id);
}

bool finish_interrupted_rotation(catalog::Catalog& catalog, const stdfs::path& key_file) {
    auto current = current_key_id(catalog);
    std::error_code ec;
    if (!current || !stdfs::exists(key_file, ec)) return false;
    if (keys::inspect_key_file(key_file).key_id == *current) return false;
    const stdfs::path pending = pending_key_path(key_file, *current);
    if (!stdfs::exists(pending, ec) || keys::inspect_key_file(pending).key_id != *current)
        return false;
    // A concurrent process may finish the same rotation first; either rename wins.
    if (std::rename(pending.c_str(), key_file.c_str()) != 0 && errno != ENOENT)
        throw Error(ErrorKind::permission, "cannot finish the interrupted key rotation: rename " +
                                               pending.string() + " to " + key_file.string() +
                                               ": " + std::strerror(errno));
    fs::sync_dir(key_file.parent_path().empty() ? stdfs::path(".") : key_file.parent_path());
    return true;
}

keys::Principal find_principal(catalog::Catalog& catalog, const stdfs::path& key_file) {
    if (auto identity = identity_from_env()) {
        MemberRow m = member_for_identity(catalog, *identity);
        return {keys::Principal::Kind::member, m.name, m.role, m.fingerprint};
    }
    require_exists(key_file, "key file",
                   "set CAIRN_KEY_FILE to the instance key file, or CAIRN_IDENTITY to your member "
                   "private key");
    finish_interrupted_rotation(catalog, key_file);
    const auto inspected = keys::inspect_key_file(key_file);
    if (inspected.can_unwrap)
        return {keys::Principal::Kind::key_file, key_file.string(), keys::Role::admin, inspected.key_id};
    return {keys::Principal::Kind::write_only_key_file, key_file.string(), keys::Role::writer, inspected.key_id};
}

std::unique_ptr<keys::KeyRing> open_keyring(catalog::Catalog& catalog, const stdfs::path& key_file,
                                            const keys::Principal& who) {
    if (who.kind == keys::Principal::Kind::member) {
        keys::OpenedKeyFile opened = open_instance_key(catalog, key_file, who);
        return keys::keyring_from_instance_key(opened.key);
    }
    // Check the key id before opening, so an outdated file never asks for a passphrase.
    require_current(catalog, keys::inspect_key_file(key_file).key_id, who);
    return keys::open_key_file(key_file);
}

keys::OpenedKeyFile open_instance_key(catalog::Catalog& catalog, const stdfs::path& key_file,
                                      const keys::Principal& who) {
    if (who.kind == keys::Principal::Kind::member) {
        const stdfs::path identity = identity_from_env().value_or(stdfs::path());
        MemberRow m = member_for_identity(catalog, identity);
        if (m.wrapped_instance_key.empty())
            throw Error(ErrorKind::permission, keys::describe({keys::Principal::Kind::member, m.name, m.role, m.fingerprint}) +
                                                   " holds no instance key: it cannot read or write data",
                        "use a reader, writer or admin member key, or the instance key file");
        keys::OpenedKeyFile out{keys::unwrap_as_member(m.wrapped_instance_key, identity),
                                std::nullopt};
        require_current(catalog, keys::key_id_of(out.key), who);
        return out;
    }
    if (who.kind == keys::Principal::Kind::write_only_key_file)
        throw Error(ErrorKind::permission,
                    "write-only key file " + who.name + " does not hold the instance key",
                    "use the full instance key file or an admin member key");
    require_current(catalog, keys::inspect_key_file(key_file).key_id, who);
    return keys::open_full_key_file(key_file);
}

} // namespace cairn::access
