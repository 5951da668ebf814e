#pragma once
// cairn connect: sets up another machine for an instance whose catalog is
// in PostgreSQL. It writes .cairn/ with config.yaml (the database, the
// storage location) and the instance's audit public key (audit-sign.pub),
// and nothing secret: no catalog, no key file, no audit key. Commands then
// act as a member (CAIRN_IDENTITY, CAIRN_SIGNING_KEY), whose grant carries
// the instance and audit keys wrapped for them.
#include <filesystem>
#include <string>

namespace cairn {

struct ConnectOptions {
    std::filesystem::path dir;   // where .cairn/ goes
    std::string catalog_url;     // postgresql://[USER@]HOST[:PORT]/DB
    bool allow_plain_catalog = false;
    // The audit key's fingerprint as the instance's admin gave it out of
    // band ("SHA256:<hex>"): the database's key must match. "" = not checked.
    std::string expect_fingerprint;
    // The storage settings config.yaml keeps beside the location's URL,
    // which the catalog does not hold (as for init).
    std::string endpoint, region, addressing;
    bool allow_http = false;
};

struct ConnectResult {
    std::filesystem::path instance_dir;
    std::string instance_id;
    std::string name;
    std::string storage_url;
    std::string audit_key_fingerprint;
};

// Conflict (exit 8) if DIR already holds .cairn/ or this host recorded the
// head of another instance there; config (exit 7) if the database holds no
// instance, and the URL and TLS checks of init; not found (exit 3) if the
// instance does not record its audit public key (made before connect
// existed); integrity (exit 4) if that key is not the expected one.
ConnectResult connect_instance(const ConnectOptions& options);

} // namespace cairn
