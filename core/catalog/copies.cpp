#include "core/catalog/copies.hpp"

namespace cairn::catalog {

namespace {

constexpr const char* k_columns =
    "c.id, c.artifact_id, a.uid, c.kind, c.host, c.os_user, c.os_uid, c.path, c.created_at, c.doomed_at,"
    " c.destroyed_at, c.destroyed_by, c.how";

std::optional<int64_t> optional_int(sql::Statement& q, int i) {
    if (q.getColumn(i).isNull()) return std::nullopt;
    return q.getColumn(i).getInt64();
}

std::string text(sql::Statement& q, int i) { return q.getColumn(i).isNull() ? "" : q.getColumn(i).getString(); }

LocalCopy read_copy(sql::Statement& q) {
    return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), text(q, 2),   text(q, 3),
            text(q, 4),                text(q, 5),                q.getColumn(6).getInt64(), text(q, 7),
            q.getColumn(8).getInt64(), optional_int(q, 9),        optional_int(q, 10), text(q, 11),
            text(q, 12)};
}

std::vector<LocalCopy> read_all(sql::Statement& q) {
    std::vector<LocalCopy> out;
    while (q.executeStep()) out.push_back(read_copy(q));
    return out;
}

} // namespace

void record_copy(Catalog& c, const Actor& actor, int64_t artifact_id, const std::string& kind,
                 const std::string& path, int64_t now) {
    if (!path.empty()) {
        sql::Statement again(c.sql(),
            "UPDATE local_copy SET created_at = ?, doomed_at = NULL, destroyed_at = NULL, destroyed_by = NULL,"
            " how = NULL WHERE artifact_id = ? AND kind = ? AND host = ? AND os_uid = ? AND path = ?");
        again.bind(1, now);
        again.bind(2, artifact_id);
        again.bind(3, kind);
        again.bind(4, actor.host);
        again.bind(5, static_cast<int64_t>(actor.os_uid));
        again.bind(6, path);
        if (again.exec() > 0) return;
    }
    sql::Statement q(c.sql(),
        "INSERT INTO local_copy (artifact_id, kind, host, os_user, os_uid, path, created_at) VALUES (?,?,?,?,?,?,?)");
    q.bind(1, artifact_id);
    q.bind(2, kind);
    q.bind(3, actor.host);
    q.bind(4, actor.os_user);
    q.bind(5, static_cast<int64_t>(actor.os_uid));
    if (path.empty()) q.bind(6);
    else q.bind(6, path);
    q.bind(7, now);
    q.exec();
}

void doom_copies(Catalog& c, int64_t artifact_id, int64_t now) {
    sql::Statement q(c.sql(),
        "UPDATE local_copy SET doomed_at = ? WHERE artifact_id = ? AND path IS NOT NULL AND doomed_at IS NULL"
        " AND destroyed_at IS NULL");
    q.bind(1, now);
    q.bind(2, artifact_id);
    q.exec();
}

std::vector<LocalCopy> doomed_copies(Catalog& c, const std::string& host, int64_t os_uid) {
    sql::Statement q(c.sql(), std::string("SELECT ") + k_columns +
        " FROM local_copy c JOIN artifact a ON a.id = c.artifact_id"
        " WHERE c.host = ? AND c.os_uid = ? AND c.doomed_at IS NOT NULL AND c.destroyed_at IS NULL ORDER BY c.id");
    q.bind(1, host);
    q.bind(2, os_uid);
    return read_all(q);
}

void mark_destroyed(Catalog& c, int64_t copy_id, const std::string& by, const std::string& how, int64_t now) {
    sql::Statement q(c.sql(),
        "UPDATE local_copy SET destroyed_at = ?, destroyed_by = ?, how = ? WHERE id = ? AND destroyed_at IS NULL");
    q.bind(1, now);
    q.bind(2, by);
    q.bind(3, how);
    q.bind(4, copy_id);
    q.exec();
}

std::vector<LocalCopy> copies_of(Catalog& c, int64_t artifact_id) {
    sql::Statement q(c.sql(), std::string("SELECT ") + k_columns +
        " FROM local_copy c JOIN artifact a ON a.id = c.artifact_id WHERE c.artifact_id = ? ORDER BY c.id");
    q.bind(1, artifact_id);
    return read_all(q);
}

std::vector<LocalCopy> outstanding_copies(Catalog& c) {
    sql::Statement q(c.sql(), std::string("SELECT ") + k_columns +
        " FROM local_copy c JOIN artifact a ON a.id = c.artifact_id"
        " WHERE c.doomed_at IS NOT NULL AND c.destroyed_at IS NULL ORDER BY c.host, c.os_user, c.id");
    return read_all(q);
}

} // namespace cairn::catalog
