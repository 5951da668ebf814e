// cairn key: show, export (full or write-only), rotate the instance key.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/access/key_status.hpp"
#include "core/access/rotation.hpp"

#include <iostream>

namespace cairn::cmd {

namespace {

void run_show(GlobalOptions& g) {
    access::KeyStatus s = access::key_status(instance(g));
    if (g.json) {
        nlohmann::json j = {{"key_file", s.key_file.string()},
                            {"key_file_exists", s.key_file_exists},
                            {"key_id", s.key_id},
                            {"kind", s.kind},
                            {"current", s.current},
                            {"role", s.role}};
        j["instance_key_id"] =
            s.instance_key_id ? nlohmann::json(*s.instance_key_id) : nlohmann::json();
        j["member"] = s.member ? nlohmann::json(*s.member) : nlohmann::json();
        print_json(j);
        return;
    }
    if (s.member)
        std::cout << "identity:        member " << *s.member << " (" << s.role
                  << ", CAIRN_IDENTITY)\n";
    std::cout << "key file:        " << s.key_file.string()
              << (s.key_file_exists ? "" : " (missing)") << "\n";
    if (s.key_file_exists) {
        std::cout << "key id:          " << s.key_id << "\n"
                  << "kind:            " << s.kind << "\n";
        if (!s.current) std::cout << "status:          outdated: the instance key was rotated\n";
    }
    if (s.instance_key_id) std::cout << "instance key id: " << *s.instance_key_id << "\n";
}

void run_export(const std::string& file, GlobalOptions& g) {
    const std::string key_id = access::export_write_only(instance(g), file);
    if (g.json) {
        print_json({{"file", file}, {"key_id", key_id}, {"kind", "write-only"}});
        return;
    }
    std::cout << file << "\n";
    info(g, "wrote a write-only key file for key " + key_id +
                ": it can save but never load; after 'cairn key rotate' export a new one");
}

void run_export_full(const std::string& file, bool passphrase, GlobalOptions& g) {
    const std::optional<keys::SecretString> pass = new_passphrase(passphrase);
    const std::string key_id = access::export_full(instance(g), file, view_of(pass));
    if (g.json) {
        print_json({{"file", file}, {"key_id", key_id}, {"kind", pass ? "passphrase-protected" : "full"}});
        return;
    }
    std::cout << file << "\n";
    info(g, "wrote a full key file for key " + key_id +
                ": it opens everything; keep it as safe as the instance key file");
}

void run_rotate(GlobalOptions& g) {
    access::RotateResult r = access::rotate_instance_key(instance(g));
    request_publish();
    if (g.json) {
        print_json({{"old_key_id", r.old_key_id},
                    {"new_key_id", r.new_key_id},
                    {"rewrapped", r.rewrapped},
                    {"members_regranted", r.members_regranted},
                    {"key_file", r.key_file.string()}});
        return;
    }
    std::cout << "rotated the instance key: " << r.old_key_id << " -> " << r.new_key_id << "\n"
              << "  rewrapped " << r.rewrapped << " data keys (contents unchanged), re-granted "
              << r.members_regranted << " members\n";
    if (!r.key_file.empty())
        std::cout << "  replaced " << r.key_file.string()
                  << "; backups and write-only key files made before now are outdated\n";
    else
        std::cout << "  the instance key file is now outdated; members hold the new key\n"
                  << "  (write a new key file with: cairn key export FILE)\n";
}

} // namespace

void register_key(CLI::App& app, GlobalOptions& g) {
    auto* key = app.add_subcommand("key", "Show, export and rotate the instance key");
    key->require_subcommand(1);
    key->footer("Example:\n  cairn key show\n  cairn key rotate\n\nEXIT STATUS: see each subcommand's --help.");

    auto* show =
        key->add_subcommand("show", "Show the key file, its key id and kind (never the key)");
    show->footer(
        "Example:\n  cairn key show --json\n\nKinds: full, write-only, passphrase-protected.\n"
        "EXIT STATUS: 0 ok, 6 no key file, unsafe key file or unknown identity, 7 no instance.");
    show->callback([&g] { run_show(g); });

    auto file = std::make_shared<std::string>();
    auto* exp = key->add_subcommand("export-write-only",
                                    "Write a 0600 key file that can save but never load");
    exp->footer(
        "Example:\n  cairn key export-write-only /etc/batch/cairn-wo.key\n"
        "  CAIRN_KEY_FILE=/etc/batch/cairn-wo.key cairn save out.csv\n\n"
        "Needs the full key (or an admin member). Rotating the key makes the file outdated.\n"
        "EXIT STATUS: 0 ok, 3 FILE's directory does not exist, 6 key missing or not allowed, 8 FILE exists.");
    exp->add_option("file", *file, "Where to write the write-only key file")->required();
    exp->callback([file, &g] { run_export(*file, g); });

    auto full_file = std::make_shared<std::string>();
    auto full_passphrase = std::make_shared<bool>(false);
    auto* full = key->add_subcommand("export", "Write a 0600 full key file for the current instance key");
    full->footer(
        "Example:\n  CAIRN_IDENTITY=~/.ssh/cairn-admin.pem cairn key export ~/.config/cairn/new.key\n\n"
        "Admin only. Use it after an admin member rotated the key, or to make a backup.\n"
        "With --passphrase the file is sealed under the passphrase in $CAIRN_PASSPHRASE_FILE.\n"
        "EXIT STATUS: 0 ok, 2 --passphrase without CAIRN_PASSPHRASE_FILE, 3 FILE's directory or\n"
        "the passphrase file does not exist, 6 key missing or not allowed, 8 FILE exists.");
    full->add_option("file", *full_file, "Where to write the key file")->required();
    full->add_flag("--passphrase", *full_passphrase,
                   "Seal the key file under the passphrase in $CAIRN_PASSPHRASE_FILE");
    full->callback([full_file, full_passphrase, &g] { run_export_full(*full_file, *full_passphrase, g); });

    auto* rotate =
        key->add_subcommand("rotate", "Make a new instance key and rewrap every data key under it");
    rotate->footer(
        "Example:\n  cairn key rotate\n\n"
        "Object contents are not re-encrypted. The key file is replaced atomically after the\n"
        "catalog commits; older copies of it open nothing. A passphrase is kept.\n"
        "EXIT STATUS: 0 ok, 4 a data key failed authentication, 6 key missing, wrong or not admin, "
        "8 the key changed concurrently.");
    rotate->callback([&g] { run_rotate(g); });
}

} // namespace cairn::cmd
