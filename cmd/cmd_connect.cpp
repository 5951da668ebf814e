// cairn connect: set up this machine for an instance whose catalog is in PostgreSQL.
#include "cmd/commands.hpp"
#include "cmd/output.hpp"
#include "core/instance/connect.hpp"

#include <iostream>

namespace cairn::cmd {

namespace {

struct ConnectOpts {
    std::string url;
    std::string dir = ".";
    bool allow_plain = false, allow_http = false;
    std::string fingerprint, endpoint, region, addressing;
};

void run(const ConnectOpts& o, GlobalOptions& g) {
    const ConnectResult r = connect_instance({o.dir, o.url, o.allow_plain, o.fingerprint, o.endpoint, o.region,
                                              o.addressing, o.allow_http});
    if (g.json) {
        print_json({{"instance", r.instance_dir.string()}, {"instance_id", r.instance_id}, {"name", r.name},
                    {"storage", r.storage_url}, {"audit_key_fingerprint", r.audit_key_fingerprint}});
        return;
    }
    std::cout << "Connected to cairn instance " << r.instance_id << " (" << r.name << ") in "
              << r.instance_dir.string() << "\n"
              << "  storage:   " << r.storage_url << "\n"
              << "  audit key: " << r.audit_key_fingerprint
              << (o.fingerprint.empty() ? " (compare it with the one your admin gave you)" : " (as expected)") << "\n";
    info(g, "act as your member: set CAIRN_IDENTITY to your private key and CAIRN_SIGNING_KEY to your "
            "Ed25519 signing key");
}

} // namespace

void register_connect(CLI::App& app, GlobalOptions& g) {
    auto o = std::make_shared<ConnectOpts>();
    auto* sub = app.add_subcommand("connect", "Set up this machine for an instance whose catalog is in PostgreSQL");
    sub->footer(
        "Example:\n  cairn connect postgresql://ann@db.example.com/team --audit-key-fingerprint SHA256:...\n\n"
        "Writes DIR/.cairn/ with config.yaml and the instance's audit public key, and nothing secret.\n"
        "Commands then act as a member: CAIRN_IDENTITY (your private key) and CAIRN_SIGNING_KEY (your\n"
        "Ed25519 key, registered with 'cairn access grant --signing-key').\n"
        "EXIT STATUS: 0 ok, 3 the instance does not record its audit key (made before connect existed),\n"
        "4 the audit key is not the expected one, 5 cannot connect, 7 bad URL or the database holds no\n"
        "instance, 8 DIR already holds an instance.");
    sub->add_option("url", o->url, "postgresql://[USER@]HOST[:PORT]/DB (no password: libpq's ~/.pgpass; "
                                   "TLS verify-full by default)")
        ->required()
        ->type_name("URL");
    sub->add_option("--dir", o->dir, "Directory to create .cairn/ in (default: current directory)");
    sub->add_option("--audit-key-fingerprint", o->fingerprint,
                    "Refuse unless the instance's audit key has this fingerprint (SHA256:<hex>, from your admin)");
    sub->add_flag("--allow-plain-catalog", o->allow_plain,
                  "Accept a weaker sslmode (from the URL or PGSSLMODE) to a PostgreSQL server on this machine");
    sub->add_option("--endpoint", o->endpoint, "S3-compatible endpoint URL of the instance's storage (kept in config)");
    sub->add_option("--region", o->region, "Storage region");
    sub->add_option("--addressing", o->addressing, "S3 addressing style")->check(CLI::IsMember({"path", "virtual"}));
    sub->add_flag("--allow-http", o->allow_http, "Allow plain http to a loopback endpoint (tests only)");
    sub->callback([o, &g] { run(*o, g); });
}

} // namespace cairn::cmd
