#include "core/access/rotation.hpp"

#include "core/access/identity.hpp"
#include "core/artifact/key_objects.hpp"
#include "core/artifact/seal.hpp"
#include "core/catalog/pending_uploads.hpp"
#include "core/catalog/seals.hpp"
#include "core/crypto/secret.hpp"
#include "core/audit/audit.hpp"
#include "core/instance/instance.hpp"
#include "core/keys/keyring.hpp"
#include "core/keys/members.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/time.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace cairn::access {

namespace stdfs = std::filesystem;

namespace {

// Key objects a rotation wrote (to remove if it does not commit) and the
// ones it replaced (to remove once it has).
struct KeyObjectChanges {
    std::vector<std::string> written;
    std::vector<std::string> replaced;
};

// Rewraps every stored data key and renews its MAC; returns how many. A
// wrapped key that fails its MAC stops the rotation (exit 4): rewrapping it
// would launder a replaced key into a valid one. On a catalog that keeps
// keys in objects (core/artifact/key_objects.hpp) each key goes to a new key
// object named by the new key id, the old one staying valid until commit;
// a key still in its row (saved by a cairn without key objects) moves out.
int64_t rewrap_artifacts(Instance& inst, const keys::KeyRing& from, const keys::KeyRing& to,
                         KeyObjectChanges& changes) {
    catalog::Catalog& catalog = inst.catalog();
    // Every MAC is checked before any key is rewrapped.
    catalog::for_each_sealed_artifact(catalog, [&](const catalog::ArtifactRow& row) {
        artifact::require_wrap_mac(catalog, row, "nothing was rotated; run 'cairn audit verify' and restore .cairn/ from a backup");
    });
    sql::Statement update(catalog.sql(),
                             "UPDATE artifact SET wrapped_key = ?, key_id = ? WHERE id = ?");
    const bool in_objects = artifact::keys_in_objects(catalog);
    int64_t rewrapped = 0;
    catalog::for_each_sealed_artifact(catalog, [&](catalog::ArtifactRow& row) {
        const bool had_object = artifact::is_key_reference(row.wrapped_key);
        const std::string old_object = had_object ? artifact::key_object_name(row.object_name, row.key_id) : "";
        std::string wrapped = keys::rewrap(artifact::wrapped_data_key(inst, row), from, to);
        row.key_id = to.key_id();
        if (in_objects || had_object) {
            const std::string name = artifact::key_object_name(row.object_name, row.key_id);
            changes.written.push_back(name);
            wrapped = artifact::store_key_object(inst.storage(), inst.cache().new_temp(), name, wrapped);
            // Removed after commit; a kill before then leaves it to cleanup_leftovers().
            if (had_object) {
                catalog::add_pending_upload_in_transaction(catalog, old_object, inst.storage_id(),
                                                           static_cast<int64_t>(now_ms()), inst.actor().host,
                                                           static_cast<int64_t>(inst.actor().pid));
                changes.replaced.push_back(old_object);
            }
        }
        row.wrapped_key = std::move(wrapped);
        update.bind(1, row.wrapped_key.data(), static_cast<int>(row.wrapped_key.size()));
        update.bind(2, row.key_id);
        update.bind(3, row.id);
        update.exec();
        update.reset();
        artifact::stamp_wrap_mac(catalog, row);
        ++rewrapped;
    });
    return rewrapped;
}

// Removes key objects; a name that cannot be removed stays for
// cleanup_leftovers() when it is registered as a pending upload.
void remove_key_objects(Instance& inst, const std::vector<std::string>& names, bool registered) {
    for (const auto& name : names) {
        if (!inst.storage().remove(name)) continue;
        if (registered) catalog::forget_pending_upload(inst.catalog(), name);
    }
}

int64_t regrant_members(catalog::Catalog& catalog, const crypto::SecretKey& key) {
    std::vector<std::pair<int64_t, std::string>> rows;
    sql::Statement q(catalog.sql(), "SELECT id, public_key FROM member WHERE revoked_at IS NULL AND role != 'purger'");
    while (q.executeStep())
        rows.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString());
    sql::Statement update(catalog.sql(),
                             "UPDATE member SET wrapped_instance_key = ?, key_id = ? WHERE id = ?");
    const std::string key_id = keys::key_id_of(key);
    for (const auto& [id, pem] : rows) {
        const std::string wrapped = keys::wrap_for_member(key, pem);
        update.bind(1, wrapped.data(), static_cast<int>(wrapped.size()));
        update.bind(2, key_id);
        update.bind(3, id);
        update.exec();
        update.reset();
    }
    return static_cast<int64_t>(rows.size());
}

// Pending key files of rotations that never committed hold keys nothing is
// wrapped under. Runs under the catalog write lock, so no other rotation is
// between writing its pending file and committing.
void remove_abandoned_pending(const stdfs::path& key_file, const std::string& current_id) {
    const stdfs::path dir =
        key_file.parent_path().empty() ? stdfs::path(".") : key_file.parent_path();
    const std::string prefix = key_file.filename().string() + ".new-";
    std::error_code ec;
    for (const auto& entry : stdfs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with(prefix) && name != prefix + current_id)
            stdfs::remove(entry.path(), ec);
    }
}

// After a failed transaction: whether the catalog committed to `key_id`
// anyway (true when that cannot be told: keeping things is the safe side).
bool rotation_committed(catalog::Catalog& catalog, const std::string& key_id) {
    try {
        return current_key_id(catalog) == key_id;
    } catch (...) {
        return true;
    }
}

void install(const stdfs::path& pending, const stdfs::path& key_file) {
    if (std::rename(pending.c_str(), key_file.c_str()) != 0)
        throw Error(
            ErrorKind::permission,
            "the key rotation committed, but the new key file could not be moved into place (" +
                std::string(std::strerror(errno)) + "); it is at " + pending.string(),
            "cairn finishes this the next time it opens " + key_file.string() + ", or: mv " +
                pending.string() + " " + key_file.string());
    fs::sync_dir(key_file.parent_path().empty() ? stdfs::path(".") : key_file.parent_path());
}

} // namespace

RotateResult rotate_instance_key(Instance& inst, const RotateOptions& o) {
    const keys::Principal& who = inst.principal();
    keys::require(who, keys::Action::administer);
    catalog::Catalog& catalog = inst.catalog();
    const keys::OpenedKeyFile old = open_instance_key(catalog, inst.key_path(), who);
    const crypto::SecretKey new_key = crypto::SecretKey::random();
    auto from = keys::keyring_from_instance_key(old.key);
    auto to = keys::keyring_from_instance_key(new_key);

    RotateResult r{from->key_id(), to->key_id(), 0, 0, {}};
    const bool with_key_file = who.kind == keys::Principal::Kind::key_file;
    const stdfs::path pending =
        with_key_file ? pending_key_path(inst.key_path(), r.new_key_id) : stdfs::path();
    bool pending_written = false;
    KeyObjectChanges key_objects;
    auto step = [&](std::string_view name) {
        if (o.after_step) o.after_step(name);
    };
    try {
        catalog.write_transaction([&] {
            auto current = current_key_id(catalog);
            if (current && *current != r.old_key_id)
                throw Error(ErrorKind::conflict,
                            "the instance key changed while rotating (now " + *current +
                                "); nothing was changed",
                            "run the command again");
            if (with_key_file) {
                remove_abandoned_pending(inst.key_path(), r.old_key_id);
                keys::write_replacement_key_file(pending, new_key, old);
                pending_written = true;
                step("pending-key-written");
            }
            r.rewrapped = rewrap_artifacts(inst, *from, *to, key_objects);
            nlohmann::json details = o.audit_details;
            if (o.in_transaction) details.update(o.in_transaction());
            r.members_regranted = regrant_members(catalog, new_key);
            set_current_key_id(catalog, r.new_key_id);
            details.update({{"old_key_id", r.old_key_id},
                            {"new_key_id", r.new_key_id},
                            {"rewrapped", r.rewrapped},
                            {"members_regranted", r.members_regranted}});
            audit::append(catalog, inst.actor(), {o.audit_action, {}, "ok", std::nullopt, details});
        });
    } catch (...) {
        // Unless the catalog did commit to the new key (then the pending key
        // file and the new key objects must stay, to be rolled forward).
        if (!rotation_committed(catalog, r.new_key_id)) {
            std::error_code ec;
            if (pending_written) stdfs::remove(pending, ec);
            remove_key_objects(inst, key_objects.written, false);
        }
        throw;
    }
    step("committed");
    remove_key_objects(inst, key_objects.replaced, true);
    if (with_key_file) {
        install(pending, inst.key_path());
        r.key_file = inst.key_path();
    }
    inst.reset_keys();
    return r;
}

} // namespace cairn::access
