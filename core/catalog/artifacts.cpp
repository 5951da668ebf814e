#include "core/catalog/artifacts.hpp"

#include "core/util/utf8.hpp"

namespace cairn::catalog {

const char* const k_artifact_columns =
    "a.id, a.uid, a.key, a.version, a.is_latest, a.kind, a.hash, a.size, a.suffix, a.n_files,"
    " a.description, a.storage_id, s.url, a.object_name, a.stored_size, a.wrapped_key, a.key_id,"
    " a.state, a.created_by, a.created_at, a.run_id, a.deleted_at";

namespace {

std::string text(sql::Statement& q, int i) { return q.getColumn(i).isNull() ? "" : q.getColumn(i).getString(); }

std::string select_from() {
    return std::string("SELECT ") + k_artifact_columns + " FROM artifact a LEFT JOIN storage s ON s.id = a.storage_id ";
}

std::optional<ArtifactRow> one(sql::Statement& q) {
    if (!q.executeStep()) return std::nullopt;
    return read_artifact(q);
}

} // namespace

ArtifactRow read_artifact(sql::Statement& q) {
    ArtifactRow r;
    r.id = q.getColumn(0).getInt64();
    r.uid = text(q, 1);
    r.key = text(q, 2);
    r.version = q.getColumn(3).getInt();
    r.is_latest = q.getColumn(4).getInt() != 0;
    r.kind = text(q, 5);
    r.hash = text(q, 6);
    r.size = static_cast<uint64_t>(q.getColumn(7).getInt64());
    r.suffix = text(q, 8);
    r.n_files = q.getColumn(9).getInt64();
    r.description = text(q, 10);
    r.storage_id = q.getColumn(11).getInt64();
    r.storage_url = text(q, 12);
    r.object_name = text(q, 13);
    r.stored_size = static_cast<uint64_t>(q.getColumn(14).getInt64());
    if (!q.getColumn(15).isNull())
        r.wrapped_key.assign(static_cast<const char*>(q.getColumn(15).getBlob()),
                             static_cast<size_t>(q.getColumn(15).getBytes()));
    r.key_id = text(q, 16);
    r.state = text(q, 17);
    r.created_by = text(q, 18);
    r.created_at = q.getColumn(19).getInt64();
    if (!q.getColumn(20).isNull()) r.run_id = q.getColumn(20).getInt64();
    if (!q.getColumn(21).isNull()) r.deleted_at = q.getColumn(21).getInt64();
    return r;
}

std::optional<ArtifactRow> find_by_uid(Catalog& c, const std::string& uid) {
    sql::Statement q(c.sql(), select_from() + "WHERE a.uid = ?");
    q.bind(1, uid);
    return one(q);
}

std::optional<ArtifactRow> find_version(Catalog& c, const std::string& key, int version) {
    sql::Statement q(c.sql(), select_from() + "WHERE a.key = ? AND a.version = ?");
    q.bind(1, key);
    q.bind(2, version);
    return one(q);
}

std::optional<ArtifactRow> find_latest(Catalog& c, const std::string& key) {
    sql::Statement q(c.sql(), select_from() + "WHERE a.key = ? AND a.state = 'active' ORDER BY a.version DESC LIMIT 1");
    q.bind(1, key);
    return one(q);
}

std::optional<ArtifactRow> find_same_content(Catalog& c, const std::string& key, const std::string& hash) {
    sql::Statement q(c.sql(), select_from() + "WHERE a.key = ? AND a.hash = ? AND a.state = 'active' ORDER BY a.version DESC LIMIT 1");
    q.bind(1, key);
    q.bind(2, hash);
    return one(q);
}

std::vector<ArtifactRow> list_artifacts(Catalog& c, const std::string& prefix, bool all_versions) {
    if (!is_valid_utf8(prefix)) return {}; // keys are UTF-8: none starts with it
    // A key range the key index can serve (on PostgreSQL a scan of every
    // artifact otherwise: 70 ms for 100,000), and substr() to be exact;
    // never LIKE, whose '%' and '_' would be wildcards.
    const std::string end = utf8_prefix_end(prefix);
    std::string sql = select_from() + "WHERE a.state = 'active' AND a.key >= ?1 AND substr(a.key, 1, length(?1)) = ?1 ";
    if (!end.empty()) sql += "AND a.key < ?2 ";
    if (!all_versions) sql += "AND a.is_latest = 1 ";
    sql += "ORDER BY a.key, a.version";
    sql::Statement q(c.sql(), sql);
    q.bind(1, prefix);
    if (!end.empty()) q.bind(2, end);
    std::vector<ArtifactRow> out;
    while (q.executeStep()) out.push_back(read_artifact(q));
    return out;
}

bool any_key_with_prefix(Catalog& c, const std::string& prefix) {
    if (!is_valid_utf8(prefix)) return false; // keys are UTF-8
    // Keys that start with `prefix` sort (bytewise, as both catalogs compare
    // keys) right from `prefix` on, before any other key >= prefix: the
    // first key >= prefix, found through the key index, tells.
    sql::Statement q(c.sql(), "SELECT key FROM artifact WHERE key >= ? ORDER BY key LIMIT 1");
    q.bind(1, prefix);
    return q.executeStep() && q.getColumn(0).text().starts_with(prefix);
}

int next_version(Catalog& c, const std::string& key) {
    sql::Statement q(c.sql(), "SELECT COALESCE(MAX(version), 0) + 1 FROM artifact WHERE key = ?");
    q.bind(1, key);
    q.executeStep();
    return q.getColumn(0).getInt();
}

int64_t insert_artifact(Catalog& c, ArtifactRow& r) {
    r.version = next_version(c, r.key);
    sql::Statement clear(c.sql(), "UPDATE artifact SET is_latest = 0 WHERE key = ? AND is_latest = 1");
    clear.bind(1, r.key);
    clear.exec();
    sql::Statement ins(c.sql(),
        "INSERT INTO artifact (uid, key, version, is_latest, kind, hash, size, suffix, n_files, description,"
        " storage_id, object_name, stored_size, wrapped_key, key_id, state, created_by, created_at, run_id)"
        " VALUES (?,?,?,1,?,?,?,?,?,?,?,?,?,?,?,'active',?,?,?) RETURNING id");
    int i = 1;
    ins.bind(i++, r.uid);
    ins.bind(i++, r.key);
    ins.bind(i++, r.version);
    ins.bind(i++, r.kind);
    ins.bind(i++, r.hash);
    ins.bind(i++, static_cast<int64_t>(r.size));
    ins.bind(i++, r.suffix);
    ins.bind(i++, r.n_files);
    if (r.description.empty()) ins.bind(i++); else ins.bind(i++, r.description);
    ins.bind(i++, r.storage_id);
    ins.bind(i++, r.object_name);
    ins.bind(i++, static_cast<int64_t>(r.stored_size));
    ins.bind(i++, r.wrapped_key.data(), static_cast<int>(r.wrapped_key.size()));
    ins.bind(i++, r.key_id);
    ins.bind(i++, r.created_by);
    ins.bind(i++, r.created_at);
    if (r.run_id) ins.bind(i++, *r.run_id); else ins.bind(i++);
    r.id = ins.insertReturningId();
    r.is_latest = true;
    r.state = "active";
    return r.id;
}

bool key_in_use(Catalog& c, const std::string& key) {
    sql::Statement q(c.sql(), "SELECT 1 FROM artifact WHERE key = ? AND state != 'deleted' LIMIT 1");
    q.bind(1, key);
    return q.executeStep();
}

} // namespace cairn::catalog
