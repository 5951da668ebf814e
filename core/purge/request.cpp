#include "core/purge/request.hpp"

#include "core/artifact/ref.hpp"
#include "core/audit/audit.hpp"
#include "core/util/error.hpp"
#include "core/util/random.hpp"
#include "core/util/time.hpp"

#include <algorithm>
#include <set>

namespace cairn::purge {

namespace {

std::string text(sql::Statement& q, int i) { return q.getColumn(i).isNull() ? "" : q.getColumn(i).getString(); }

constexpr const char* k_request_columns =
    "id, uid, reason, requested_by, requested_at, due_at, deadline_at, state, with_descendants, policy,"
    " completed_at, attempts, last_error, certificate";

Request read_request(sql::Statement& q) {
    Request r;
    r.id = q.getColumn(0).getInt64();
    r.uid = text(q, 1);
    r.reason = text(q, 2);
    r.requested_by = text(q, 3);
    r.times = {q.getColumn(4).getInt64(), q.getColumn(5).getInt64(), q.getColumn(6).getInt64()};
    r.state = text(q, 7);
    r.with_descendants = q.getColumn(8).getInt() != 0;
    r.policy = text(q, 9);
    if (!q.getColumn(10).isNull()) r.completed_at = q.getColumn(10).getInt64();
    r.attempts = q.getColumn(11).getInt();
    r.last_error = text(q, 12);
    r.certificate = text(q, 13);
    return r;
}

// The artifacts one REF names: a uid or key@vN names one version, a key
// names every version that is not already deleted.
std::vector<catalog::ArtifactRow> resolve_ref(catalog::Catalog& c, const std::string& ref) {
    catalog::ArtifactRow row = artifact::resolve_any_state(c, ref);
    if (ref != row.key) return {row};
    sql::Statement q(c.sql(), std::string("SELECT ") + catalog::k_artifact_columns +
                                    " FROM artifact a LEFT JOIN storage s ON s.id = a.storage_id"
                                    " WHERE a.key = ? AND a.state != 'deleted' ORDER BY a.version");
    q.bind(1, ref);
    std::vector<catalog::ArtifactRow> rows;
    while (q.executeStep()) rows.push_back(catalog::read_artifact(q));
    return rows;
}

std::optional<catalog::ArtifactRow> find_by_id(catalog::Catalog& c, int64_t id) {
    sql::Statement q(c.sql(), std::string("SELECT ") + catalog::k_artifact_columns +
                                    " FROM artifact a LEFT JOIN storage s ON s.id = a.storage_id WHERE a.id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return catalog::read_artifact(q);
}

struct Chosen {
    catalog::ArtifactRow row;
    std::string via;
};

// Inserts the request, its targets, hides the artifacts and logs it, all in
// the caller's write transaction.
Created record(Context& ctx, Request req, const std::vector<Chosen>& chosen) {
    catalog::Catalog& c = ctx.catalog;
    sql::Statement ins(c.sql(),
        "INSERT INTO deletion_request (uid, reason, requested_by, requested_at, due_at, deadline_at, state,"
        " with_descendants, policy) VALUES (?,?,?,?,?,?,'pending',?,?) RETURNING id");
    ins.bind(1, req.uid);
    if (req.reason.empty()) ins.bind(2); else ins.bind(2, req.reason);
    ins.bind(3, req.requested_by);
    ins.bind(4, req.times.requested_at);
    ins.bind(5, req.times.due_at);
    ins.bind(6, req.times.deadline_at);
    ins.bind(7, req.with_descendants ? 1 : 0);
    if (req.policy.empty()) ins.bind(8); else ins.bind(8, req.policy);
    req.id = ins.insertReturningId();
    req.state = "pending";

    sql::Statement target(c.sql(),
        "INSERT INTO deletion_target (request_id, artifact_id, state, storage_id, object_name, via, updated_at)"
        " VALUES (?,?,'pending',?,?,?,?) ON CONFLICT DO NOTHING");
    sql::Statement hide(c.sql(), "UPDATE artifact SET state = 'pending_deletion' WHERE id = ? AND state = 'active'");
    Created created;
    std::set<std::string> keys;
    std::vector<std::string> uids;
    for (const auto& [row, via] : chosen) {
        target.bind(1, req.id);
        target.bind(2, row.id);
        if (row.storage_id > 0) target.bind(3, row.storage_id); else target.bind(3);
        if (row.object_name.empty()) target.bind(4); else target.bind(4, row.object_name);
        target.bind(5, via);
        target.bind(6, req.times.requested_at);
        target.exec();
        target.reset();
        hide.bind(1, row.id);
        hide.exec();
        hide.reset();
        keys.insert(row.key);
        uids.push_back(row.uid);
        created.targets.push_back({row.id, row.uid, row.version, via});
    }
    for (const auto& key : keys) refresh_latest(c, key);
    nlohmann::json details = {{"request", req.uid},           {"due_at", format_utc_ms(req.times.due_at)},
                              {"deadline_at", format_utc_ms(req.times.deadline_at)},
                              {"with_descendants", req.with_descendants}, {"count", uids.size()}};
    if (!req.reason.empty()) details["reason"] = req.reason;
    if (!req.policy.empty()) details["policy"] = req.policy;
    audit::append(c, ctx.actor, {"purge.request", uids, "ok", std::nullopt, details});
    created.request = std::move(req);
    return created;
}

Request new_request(Context& ctx, int64_t now, std::optional<int64_t> grace_ms) {
    Request req;
    req.uid = new_uid();
    req.requested_by = ctx.actor.identity;
    req.times = compute_times(now, grace_ms.value_or(ctx.config.purge_grace_ms), ctx.config.purge_deadline_ms);
    return req;
}

} // namespace

Times compute_times(int64_t now, int64_t grace_ms, int64_t deadline_ms) {
    if (grace_ms < 0) throw Error(ErrorKind::usage, "the grace period cannot be negative");
    const int64_t deadline = std::clamp<int64_t>(deadline_ms, 0, config::k_max_deadline_ms);
    if (grace_ms > deadline)
        throw Error(ErrorKind::usage, "the grace period is longer than the deletion deadline (" +
                                          std::to_string(deadline / 1000) + "s)",
                    "choose a shorter --grace; deletion must happen before the deadline");
    return {now, now + grace_ms, now + deadline};
}

Created create_request(Context& ctx, const RequestOptions& o, int64_t now) {
    if (o.refs.empty()) throw Error(ErrorKind::usage, "purge request needs at least one REF");
    Request req = new_request(ctx, now, o.grace_ms);
    req.reason = o.reason;
    req.with_descendants = o.with_descendants;
    Created created;
    ctx.catalog.write_transaction([&] {
        // Resolve inside the write lock so a concurrent request or run cannot
        // change the rows between the choice and the record.
        std::vector<Chosen> chosen;
        std::set<int64_t> seen;
        for (const auto& ref : o.refs)
            for (auto& row : resolve_ref(ctx.catalog, ref))
                if (seen.insert(row.id).second) chosen.push_back({std::move(row), "ref"});
        if (o.with_descendants) {
            std::vector<int64_t> ids(seen.begin(), seen.end());
            for (int64_t id : find_descendants(ctx.catalog, ids))
                if (auto row = find_by_id(ctx.catalog, id); row && seen.insert(id).second)
                    chosen.push_back({std::move(*row), "descendant"});
        }
        created = record(ctx, req, chosen);
    });
    return created;
}

Created create_policy_request(Context& ctx, const std::string& policy, const std::vector<int64_t>& artifact_ids,
                              int64_t now) {
    Request req = new_request(ctx, now, std::nullopt);
    req.policy = policy;
    req.reason = "retention policy '" + policy + "'";
    Created created;
    ctx.catalog.write_transaction([&] {
        std::vector<Chosen> chosen;
        sql::Statement q(ctx.catalog.sql(), std::string("SELECT ") + catalog::k_artifact_columns +
                                                  " FROM artifact a LEFT JOIN storage s ON s.id = a.storage_id"
                                                  " WHERE a.id = ? AND a.state = 'active'");
        for (int64_t id : artifact_ids) {
            q.bind(1, id);
            // An artifact changed meanwhile (requested by hand, say) is skipped.
            if (q.executeStep()) chosen.push_back({catalog::read_artifact(q), "policy"});
            q.reset();
        }
        if (!chosen.empty()) created = record(ctx, req, chosen);
    });
    return created;
}

Request cancel_request(Context& ctx, const std::string& request_uid, int64_t now) {
    Request req;
    ctx.catalog.write_transaction([&] {
        auto found = find_request(ctx.catalog, request_uid);
        if (!found)
            throw Error(ErrorKind::not_found, "no deletion request '" + request_uid + "'",
                        "list pending requests with 'cairn purge status'");
        req = *found;
        if (req.state != "pending")
            throw Error(ErrorKind::conflict, "deletion request " + req.uid + " is " + req.state + " and cannot be cancelled");
        if (now >= req.times.due_at)
            throw Error(ErrorKind::conflict,
                        "deletion request " + req.uid + " was due at " + format_utc_ms(req.times.due_at) +
                            " and can no longer be cancelled",
                        "a request can only be cancelled during its grace period");
        auto& db = ctx.catalog.sql();
        sql::Statement st(db, "UPDATE deletion_request SET state = 'cancelled', cancelled_at = ? WHERE id = ?");
        st.bind(1, now);
        st.bind(2, req.id);
        st.exec();
        sql::Statement tg(db, "UPDATE deletion_target SET state = 'cancelled', updated_at = ? WHERE request_id = ?");
        tg.bind(1, now);
        tg.bind(2, req.id);
        tg.exec();
        std::vector<std::string> uids;
        std::set<std::string> keys;
        sql::Statement rows(db,
            "SELECT a.id, a.uid, a.key FROM deletion_target t JOIN artifact a ON a.id = t.artifact_id"
            " WHERE t.request_id = ? AND a.state = 'pending_deletion' AND NOT EXISTS ("
            "   SELECT 1 FROM deletion_target o JOIN deletion_request r ON r.id = o.request_id"
            "   WHERE o.artifact_id = a.id AND r.state = 'pending')");
        rows.bind(1, req.id);
        sql::Statement restore(db, "UPDATE artifact SET state = 'active' WHERE id = ?");
        while (rows.executeStep()) {
            restore.bind(1, rows.getColumn(0).getInt64());
            restore.exec();
            restore.reset();
            uids.push_back(rows.getColumn(1).getString());
            keys.insert(text(rows, 2));
        }
        for (const auto& key : keys) refresh_latest(ctx.catalog, key);
        audit::append(ctx.catalog, ctx.actor,
                      {"purge.cancel", uids, "ok", std::nullopt, {{"request", req.uid}, {"restored", uids.size()}}});
        req.state = "cancelled";
    });
    return req;
}

std::optional<Request> find_request(catalog::Catalog& c, const std::string& request_uid) {
    sql::Statement q(c.sql(), std::string("SELECT ") + k_request_columns + " FROM deletion_request WHERE uid = ?");
    q.bind(1, request_uid);
    if (!q.executeStep()) return std::nullopt;
    return read_request(q);
}

std::vector<Request> pending_requests(catalog::Catalog& c) {
    sql::Statement q(c.sql(), std::string("SELECT ") + k_request_columns +
                                    " FROM deletion_request WHERE state = 'pending' ORDER BY due_at, id");
    std::vector<Request> out;
    while (q.executeStep()) out.push_back(read_request(q));
    return out;
}

std::vector<int64_t> find_descendants(catalog::Catalog& c, const std::vector<int64_t>& ids) {
    // Breadth-first over "artifact was an input of a run that produced
    // artifact". Deleted artifacts are walked through (their lineage rows
    // remain) but not returned.
    sql::Statement children(c.sql(),
        "SELECT a.id, a.state FROM run_input ri JOIN artifact a ON a.run_id = ri.run_id WHERE ri.artifact_id = ?");
    std::set<int64_t> seen(ids.begin(), ids.end());
    std::vector<int64_t> frontier(ids.begin(), ids.end()), out;
    while (!frontier.empty()) {
        std::vector<int64_t> next;
        for (int64_t id : frontier) {
            children.bind(1, id);
            while (children.executeStep()) {
                int64_t child = children.getColumn(0).getInt64();
                if (!seen.insert(child).second) continue;
                next.push_back(child);
                if (children.getColumn(1).getString() != "deleted") out.push_back(child);
            }
            children.reset();
        }
        frontier = std::move(next);
    }
    std::sort(out.begin(), out.end());
    return out;
}

void refresh_latest(catalog::Catalog& c, const std::string& key) {
    if (key.empty()) return;
    sql::Statement q(c.sql(),
        "UPDATE artifact SET is_latest = CASE WHEN id = (SELECT id FROM artifact WHERE key = ?1 AND state = 'active'"
        " ORDER BY version DESC LIMIT 1) THEN 1 ELSE 0 END WHERE key = ?1");
    q.bind(1, key);
    q.exec();
}

} // namespace cairn::purge
