// cairn access: grant, list and revoke members.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/access/members.hpp"
#include "core/audit/audit.hpp"
#include "core/util/time.hpp"

#include <cstdio>
#include <iostream>

namespace cairn::cmd {

namespace {

struct GrantOpts {
    std::string name, public_key, role, db_login, signing_key;
};

nlohmann::json member_json(const access::MemberRow& m) {
    nlohmann::json j = {{"name", m.name},
                        {"role", keys::role_name(m.role)},
                        {"fingerprint", m.fingerprint},
                        {"key_id", m.key_id},
                        {"created_at", format_utc_ms(m.created_at)}};
    j["db_login"] = m.db_login.empty() ? nlohmann::json() : nlohmann::json(m.db_login);
    j["signing_key"] = m.signing_key.empty() ? nlohmann::json() : nlohmann::json(m.signing_key);
    j["revoked_at"] =
        m.revoked_at ? nlohmann::json(format_utc_ms(*m.revoked_at)) : nlohmann::json();
    return j;
}

void run_grant(const GrantOpts& o, GlobalOptions& g) {
    access::MemberRow m =
        access::grant(instance(g), {o.name, o.public_key, keys::parse_role(o.role), o.db_login, o.signing_key});
    request_publish();
    if (g.json) return print_json(member_json(m));
    std::cout << "granted " << m.name << " (" << keys::role_name(m.role) << ", key "
              << m.fingerprint << ")";
    if (!m.db_login.empty()) std::cout << "; database login " << m.db_login << " joined its database role";
    std::cout << "\n";
}

void run_ls(bool all, GlobalOptions& g) {
    Instance& inst = instance(g);
    auto rows = access::list_members(inst.catalog(), all);
    audit::record(inst.catalog(), inst.actor(),
                  {"access.ls", {}, "ok", std::nullopt, {{"count", rows.size()}}});
    if (g.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& m : rows)
            arr.push_back(member_json(m));
        return print_json(arr);
    }
    if (rows.empty()) return info(g, "no members");
    std::printf("%-24s %-7s %-16s  %-20s  %s\n", "NAME", "ROLE", "FINGERPRINT", "GRANTED",
                "REVOKED");
    for (const auto& m : rows)
        std::printf("%-24s %-7s %-16s  %-20s  %s\n", m.name.c_str(),
                    keys::role_name(m.role).c_str(), m.fingerprint.c_str(),
                    format_utc_ms(m.created_at).substr(0, 19).c_str(),
                    m.revoked_at ? format_utc_ms(*m.revoked_at).substr(0, 19).c_str() : "-");
}

void run_revoke(const std::string& name, GlobalOptions& g) {
    access::RevokeResult r = access::revoke(instance(g), name);
    request_publish();
    if (g.json) {
        nlohmann::json exposed = nlohmann::json::array();
        for (const auto& a : r.exposed)
            exposed.push_back({{"uid", a.uid}, {"key", a.key}, {"version", a.version}});
        return print_json({{"member", name},
                           {"revoked_at", format_utc_ms(r.revoked_at)},
                           {"new_key_id", r.rotation.new_key_id},
                           {"rewrapped", r.rotation.rewrapped},
                           {"exposed_count", r.exposed.size()},
                           {"exposed", exposed}});
    }
    std::cout << "revoked " << name << "; rotated the instance key to " << r.rotation.new_key_id
              << " (" << r.rotation.rewrapped << " data keys rewrapped, "
              << r.rotation.members_regranted << " members re-granted)\n"
              << "Their key opens nothing saved from now on. Until now it could open "
              << r.exposed.size() << " artifact(s):\n";
    for (const auto& a : r.exposed)
        std::cout << "  " << a.uid << "  " << a.key << "@v" << a.version << "\n";
    std::cout << "Copies they already downloaded and data keys they already unwrapped cannot be "
                 "recalled.\n";
}

} // namespace

void register_access(CLI::App& app, GlobalOptions& g) {
    auto* access_cmd = app.add_subcommand("access", "Grant, list and revoke members' access");
    access_cmd->require_subcommand(1);
    access_cmd->footer("Example:\n  cairn access grant ann --public-key ann.pub --role reader\n  cairn access ls\n\n"
                       "EXIT STATUS: see each subcommand's --help.");

    auto o = std::make_shared<GrantOpts>();
    auto* grant =
        access_cmd->add_subcommand("grant", "Wrap the instance key for a member's public key");
    grant->footer(
        "Example:\n  openssl genpkey -algorithm X25519 -out ann.pem && chmod 600 ann.pem && "
        "openssl pkey -in ann.pem -pubout -out ann.pub\n"
        "  cairn access grant ann --public-key ann.pub --role writer\n"
        "  CAIRN_IDENTITY=ann.pem cairn load exp/results.csv   # as ann\n\n"
        "Keys: RSA of at least 2048 bits (RSA-OAEP-SHA256) or X25519, PEM. Roles: reader (load),\n"
        "writer (load, save), admin (also grant, revoke, rotate).\n"
        "On a PostgreSQL catalog, --db-login also makes the member's database login a member of\n"
        "the role's database role (cairn_<database>_<role>), so the database enforces the role.\n"
        "--signing-key registers the member's Ed25519 public key: on an instance that signs its events\n"
        "(a PostgreSQL catalog) their events are signed with the private half (CAIRN_SIGNING_KEY), and\n"
        "'audit verify' refuses events that another member wrote in their name.\n"
        "EXIT STATUS: 0 ok, 2 bad name, role or key (RSA < 2048 bits), no such login, --db-login on SQLite, "
        "3 no such file, 6 not admin, key missing or the database login may not grant roles, "
        "8 member or key already granted.");
    grant->add_option("name", o->name, "Member name")->required();
    grant->add_option("--public-key", o->public_key, "The member's PEM public key")
        ->required()
        ->type_name("FILE");
    grant->add_option("--role", o->role, "reader, writer, admin or purger (purge only, holds no key)")->required();
    grant->add_option("--db-login", o->db_login,
                      "PostgreSQL catalog: the member's database login, to join the role's database role")
        ->type_name("LOGIN");
    grant->add_option("--signing-key", o->signing_key,
                      "The member's Ed25519 public key (PEM) that signs their audit events")
        ->type_name("FILE");
    grant->callback([o, &g] { run_grant(*o, g); });

    auto all = std::make_shared<bool>(false);
    auto* ls = access_cmd->add_subcommand("ls", "List members");
    ls->footer("Example:\n  cairn access ls --all --json\n\nEXIT STATUS: 0 ok, 7 no instance.");
    ls->add_flag("-a,--all", *all, "Include revoked members");
    ls->callback([all, &g] { run_ls(*all, g); });

    auto name = std::make_shared<std::string>();
    auto* revoke =
        access_cmd->add_subcommand("revoke", "Revoke a member and rotate the instance key");
    revoke->footer(
        "Example:\n  cairn access revoke ann\n\n"
        "Rotates the instance key (as 'cairn key rotate') so the member's key opens nothing saved\n"
        "afterwards, and lists what it could open before. The database login access grant\n"
        "--db-login named leaves the database roles in the same transaction.\n"
        "EXIT STATUS: 0 ok, 3 no such member, 6 not admin or key missing, 8 concurrent change.");
    revoke->add_option("name", *name, "Member name")->required();
    revoke->callback([name, &g] { run_revoke(*name, g); });
}

} // namespace cairn::cmd
