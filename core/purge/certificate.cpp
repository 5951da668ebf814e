#include "core/purge/certificate.hpp"

#include "core/catalog/copies.hpp"
#include "core/util/time.hpp"

#include <map>

namespace cairn::purge {

namespace {

// Where load put copies of the artifact and how each was seen destroyed;
// exports (load -o FILE, stdout) are listed as outside cairn's custody.
nlohmann::json copies_json(catalog::Catalog& catalog, int64_t artifact_id) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : catalog::copies_of(catalog, artifact_id)) {
        nlohmann::json j = {{"kind", c.kind}, {"host", c.host}, {"account", c.os_user},
                            {"made_at", format_utc_ms(c.created_at)}};
        if (c.in_custody()) {
            j["path"] = c.path;
            j["destroyed_at"] = c.destroyed_at ? format_utc_ms(*c.destroyed_at) : "";
            j["destroyed_by"] = c.destroyed_by;
            j["verified"] = c.how == "removed" ? "removed, then seen absent" : "seen absent";
        } else {
            j["custody"] = "exported by load; outside cairn's custody, not destroyed by purge";
        }
        out.push_back(j);
    }
    return out;
}

} // namespace

nlohmann::json make_certificate(catalog::Catalog& catalog, const Actor& actor, const Request& req, int64_t now) {
    nlohmann::json arts = nlohmann::json::array();
    std::map<std::string, nlohmann::json> storages;
    sql::Statement q(catalog.sql(),
        "SELECT a.uid, a.version, a.size, t.via, s.url, s.probe, t.object_name, t.updated_at, a.id,"
        " t.key_needle IS NOT NULL, t.key_object"
        " FROM deletion_target t JOIN artifact a ON a.id = t.artifact_id LEFT JOIN storage s ON s.id = t.storage_id"
        " WHERE t.request_id = ? AND t.state = 'verified' ORDER BY a.id");
    q.bind(1, req.id);
    while (q.executeStep()) {
        auto col = [&](int i) { return q.getColumn(i).isNull() ? std::string() : q.getColumn(i).getString(); };
        nlohmann::json a = {{"uid", col(0)}, {"version", q.getColumn(1).getInt()}, {"size", q.getColumn(2).getInt64()},
                            {"via", col(3)}, {"storage", col(4)}, {"object", col(6)},
                            {"verified_at", format_utc_ms(q.getColumn(7).getInt64())},
                            {"catalog_bytes_scanned", q.getColumn(9).getInt() != 0},
                            {"copies", copies_json(catalog, q.getColumn(8).getInt64())}};
        // Where the wrapped data key was kept, and so how it was destroyed.
        if (col(10).empty()) {
            a["key_custody"] = "catalog";
        } else {
            a["key_custody"] = "key object";
            a["key_object"] = col(10);
        }
        arts.push_back(std::move(a));
        if (!col(4).empty()) storages[col(4)] = {{"url", col(4)}, {"probe", col(5)}};
    }
    nlohmann::json where = nlohmann::json::array();
    for (auto& [url, s] : storages) where.push_back(s);
    nlohmann::json cert = {
        {"format", "cairn-deletion-certificate/1"},
        {"request", req.uid},
        {"requested_by", req.requested_by},
        {"requested_at", format_utc_ms(req.times.requested_at)},
        {"due_at", format_utc_ms(req.times.due_at)},
        {"deadline_at", format_utc_ms(req.times.deadline_at)},
        {"completed_at", format_utc_ms(now)},
        {"deadline_met", now <= req.times.deadline_at},
        {"executed_by", actor.identity},
        {"host", actor.host},
        {"storage", where},
        {"destroyed",
         {"every object version and delete marker in each storage location",
          "working copies and cache entries that load recorded, on every host and account (each listed under "
          "its artifact with who saw it destroyed, and when)",
          "wrapped data key (crypto-shredding): the catalog row's (key_custody \"catalog\"), or the key object in "
          "storage with every version and delete marker (key_custody \"key object\": the catalog only ever held "
          "its SHA-256)",
          "key, object name, description, suffix and content hash in the catalog",
          "command line and details text of every audit event naming the artifacts (their digests stay, so the "
          "chain still verifies; event, time, actor, action, targets and result stay)",
          "each key no artifact holds any more: command line and details text of every audit event that spells it "
          "(redacted as above), and the key in run command lines and parameters (replaced by [purged UID])",
          "where key_custody is \"catalog\": catalog freed pages zeroed (secure_delete), WAL truncated, VACUUM"}},
        {"verification",
         {{"storage", "a listing of every version and delete marker under the object's "
                      "directory showed none of the object, nor of its key object"},
          {"copies", "every recorded working copy and cache entry was removed and then seen absent, or seen "
                     "absent, by a cairn command of its own account on its own host"},
          {"catalog", "where key_custody is \"catalog\", after the key was erased: VACUUM and a complete WAL checkpoint (WAL truncated to 0 "
                      "bytes, no reader holding an older snapshot); where catalog_bytes_scanned is true, "
                      "catalog.db and its WAL were read and hold no copy of the wrapped key's nonce"}}},
        {"artifacts", arts},
    };
    // What a copy of the catalog taken before the purge can still show.
    cert["catalog"] = catalog.is_sqlite()
        ? "SQLite: the erased rows and redacted text were scrubbed from catalog.db and its WAL"
        : "PostgreSQL: it never held a wrapped data key (key_custody \"key object\"); the key, description, "
          "hash and audit text are erased from the live rows only, and their versions from before the purge stay "
          "in the database's dead tuples, write-ahead log, archives, replicas and backups until those expire";
    if (!req.policy.empty()) cert["policy"] = req.policy;
    if (!req.reason.empty()) cert["reason"] = req.reason;
    return cert;
}


} // namespace cairn::purge
