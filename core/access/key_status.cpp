#include "core/access/key_status.hpp"

#include "core/access/identity.hpp"
#include "core/audit/audit.hpp"
#include "core/instance/instance.hpp"
#include "core/keys/keyring.hpp"

namespace cairn::access {

KeyStatus key_status(Instance& inst) {
    KeyStatus s;
    s.key_file = inst.key_path();
    std::error_code ec;
    s.key_file_exists = std::filesystem::exists(s.key_file, ec);
    if (s.key_file_exists) finish_interrupted_rotation(inst.catalog(), s.key_file);
    s.instance_key_id = current_key_id(inst.catalog());
    if (s.key_file_exists) {
        keys::KeyFileInfo info = keys::inspect_key_file(s.key_file);
        s.key_id = info.key_id;
        s.kind = info.kind;
        s.current = !s.instance_key_id || *s.instance_key_id == info.key_id;
    }
    const keys::Principal& who = inst.principal();
    if (who.kind == keys::Principal::Kind::member) s.member = who.name;
    s.role = who.kind == keys::Principal::Kind::write_only_key_file ? "write-only"
                                                                    : keys::role_name(who.role);
    audit::record(inst.catalog(), inst.actor(),
                  {"key.show", {}, "ok", std::nullopt, {{"key_id", s.key_id}, {"kind", s.kind}}});
    return s;
}

std::string export_write_only(Instance& inst, const std::filesystem::path& out) {
    keys::require(inst.principal(), keys::Action::administer);
    const keys::OpenedKeyFile opened =
        open_instance_key(inst.catalog(), inst.key_path(), inst.principal());
    const std::string key_id = keys::key_id_of(opened.key);
    keys::write_write_only_key_file(out, opened.key);
    audit::record(inst.catalog(), inst.actor(),
                  {"key.export-write-only",
                   {},
                   "ok",
                   std::nullopt,
                   {{"key_id", key_id}, {"file", out.string()}}});
    return key_id;
}

std::string export_full(Instance& inst, const std::filesystem::path& out,
                        std::optional<std::string_view> passphrase) {
    keys::require(inst.principal(), keys::Action::administer);
    const keys::OpenedKeyFile opened =
        open_instance_key(inst.catalog(), inst.key_path(), inst.principal());
    const std::string key_id = keys::key_id_of(opened.key);
    keys::write_key_file(out, opened.key, passphrase);
    audit::record(inst.catalog(), inst.actor(),
                  {"key.export",
                   {},
                   "ok",
                   std::nullopt,
                   {{"key_id", key_id},
                    {"file", out.string()},
                    {"passphrase_protected", passphrase.has_value()}}});
    return key_id;
}

} // namespace cairn::access
