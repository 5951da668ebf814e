#include "core/audit/query.hpp"

#include "core/util/error.hpp"
#include "core/util/hex.hpp"
#include "core/util/time.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace cairn::audit {

namespace {

// Escapes LIKE wildcards so user text matches literally (ESCAPE '\').
std::string like_literal(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

nlohmann::json parse_json_column(const sql::Column& c) {
    auto j = nlohmann::json::parse(c.getString(), nullptr, false);
    return j.is_discarded() ? nlohmann::json(c.getString()) : j;
}

StoredEvent event_from_row(sql::Statement& q) {
    StoredEvent e;
    e.seq = q.getColumn(0).getInt64();
    e.time_ms = q.getColumn(1).getInt64();
    e.actor = q.getColumn(2).getString();
    e.os_user = q.getColumn(3).getString();
    e.os_uid = q.getColumn(4).getInt64();
    e.host = q.getColumn(5).getString();
    e.pid = q.getColumn(6).getInt64();
    if (!q.getColumn(7).isNull()) e.command_line = q.getColumn(7).getString();
    e.action = q.getColumn(8).getString();
    e.targets = parse_json_column(q.getColumn(9));
    e.result = q.getColumn(10).getString();
    if (!q.getColumn(11).isNull()) e.error_code = q.getColumn(11).getInt64();
    e.details = q.getColumn(12).isNull() ? nlohmann::json() : parse_json_column(q.getColumn(12));
    const auto chain = q.getColumn(13);
    e.chain_hex = to_hex(std::span(static_cast<const std::byte*>(chain.getBlob()), static_cast<size_t>(chain.getBytes())));
    if (!q.getColumn(14).isNull()) e.redacted_at = q.getColumn(14).getInt64();
    if (!q.getColumn(15).isNull()) e.credential = q.getColumn(15).getString();
    if (!q.getColumn(16).isNull()) e.signer = q.getColumn(16).getString();
    if (const auto sig = q.getColumn(17); !sig.isNull())
        e.signature_hex = to_hex(std::span(static_cast<const std::byte*>(sig.getBlob()), static_cast<size_t>(sig.getBytes())));
    return e;
}

} // namespace

namespace {

// The WHERE clause of a filter, and its bindings.
struct Selection {
    const Filter& f;

    std::string where() const {
        std::string where = " WHERE 1=1";
        if (f.since_ms) where += " AND time_ms >= :since";
        if (f.until_ms) where += " AND time_ms < :until";
        if (f.through_seq) where += " AND seq <= :through";
        if (!f.actor.empty()) where += " AND (actor = :actor OR os_user = :actor)";
        if (!f.action.empty()) where += " AND (action = :action OR action LIKE :action_prefix ESCAPE '\\')";
        if (!f.artifact.empty()) where += " AND targets LIKE :artifact ESCAPE '\\'";
        if (!f.result.empty()) where += " AND result = :result";
        return where;
    }

    void bind(sql::Statement& q) const {
        if (f.since_ms) q.bind(":since", *f.since_ms);
        if (f.until_ms) q.bind(":until", *f.until_ms);
        if (f.through_seq) q.bind(":through", *f.through_seq);
        if (!f.actor.empty()) q.bind(":actor", f.actor);
        if (!f.action.empty()) {
            q.bind(":action", f.action);
            q.bind(":action_prefix", like_literal(f.action) + ".%");
        }
        if (!f.artifact.empty()) q.bind(":artifact", "%" + like_literal(nlohmann::json(f.artifact).dump()) + "%");
        if (!f.result.empty()) q.bind(":result", f.result);
    }
};

void check_filter(const Filter& f) {
    if (!f.result.empty() && f.result != "ok" && f.result != "denied" && f.result != "error")
        throw Error(ErrorKind::usage, "--result must be ok, denied or error, not '" + f.result + "'");
    if (f.limit && *f.limit < 0) throw Error(ErrorKind::usage, "--limit must not be negative");
}

} // namespace

void for_each_event(catalog::Catalog& catalog, const Filter& f, const std::function<void(const StoredEvent&)>& fn) {
    check_filter(f);
    const Selection selection{f};
    const std::string where = selection.where();
    const std::string cols =
        "seq, time_ms, actor, os_user, os_uid, host, pid, command_line, action, targets, result, error_code, details, chain,"
        " redacted_at, credential, signer, signature";
    std::string sql = "SELECT " + cols + " FROM audit_event" + where + " ORDER BY seq";
    // The newest N, still returned oldest first.
    if (f.limit)
        sql = "SELECT * FROM (SELECT " + cols + " FROM audit_event" + where + " ORDER BY seq DESC LIMIT :limit) AS page ORDER BY seq";
    sql::Statement q(catalog.sql(), sql);
    selection.bind(q);
    if (f.limit) q.bind(":limit", *f.limit);
    while (q.executeStep()) fn(event_from_row(q));
}

int64_t count_events(catalog::Catalog& catalog, const Filter& f) {
    check_filter(f);
    const Selection selection{f};
    sql::Statement q(catalog.sql(), "SELECT COUNT(*) FROM audit_event" + selection.where());
    selection.bind(q);
    q.executeStep();
    const int64_t n = q.getColumn(0).getInt64();
    return f.limit ? std::min(n, *f.limit) : n;
}

int64_t last_seq(catalog::Catalog& catalog) {
    sql::Statement q(catalog.sql(), "SELECT COALESCE(MAX(seq), 0) FROM audit_event");
    q.executeStep();
    return q.getColumn(0).getInt64();
}

std::vector<StoredEvent> list_events(catalog::Catalog& catalog, const Filter& filter) {
    std::vector<StoredEvent> out;
    for_each_event(catalog, filter, [&](const StoredEvent& e) { out.push_back(e); });
    return out;
}

nlohmann::json to_json(const StoredEvent& e) {
    return {{"seq", e.seq},
            {"time", format_utc_ms(e.time_ms)},
            {"time_ms", e.time_ms},
            {"actor", e.actor},
            {"os_user", e.os_user},
            {"credential", e.credential},
            {"os_uid", e.os_uid},
            {"host", e.host},
            {"pid", e.pid},
            {"command_line", e.command_line},
            {"action", e.action},
            {"targets", e.targets},
            {"result", e.result},
            {"error_code", e.error_code ? nlohmann::json(*e.error_code) : nlohmann::json()},
            {"details", e.details},
            {"chain", e.chain_hex},
            {"redacted_at", e.redacted_at ? nlohmann::json(format_utc_ms(*e.redacted_at)) : nlohmann::json()},
            {"signer", e.signer.empty() ? nlohmann::json() : nlohmann::json(e.signer)},
            {"signature", e.signature_hex.empty() ? nlohmann::json() : nlohmann::json(e.signature_hex)}};
}

nlohmann::json current_keys(catalog::Catalog& catalog, const nlohmann::json& targets) {
    nlohmann::json keys = nlohmann::json::object();
    if (!targets.is_array()) return keys;
    sql::Statement q(catalog.sql(), "SELECT key FROM artifact WHERE uid = ? AND state = 'active' AND key IS NOT NULL");
    for (const auto& t : targets) {
        if (!t.is_string()) continue;
        q.bind(1, t.get<std::string>());
        if (q.executeStep()) keys[t.get<std::string>()] = q.getColumn(0).getString();
        q.reset();
    }
    return keys;
}

int64_t export_jsonl(catalog::Catalog& catalog, const Filter& filter, std::ostream& out) {
    int64_t n = 0;
    for_each_event(catalog, filter, [&](const StoredEvent& e) {
        out << to_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
        ++n;
    });
    out.flush();
    // Where the export goes (a file, a pipe, a full disk) failed, not cairn.
    if (!out)
        throw Error(ErrorKind::storage, std::string("cannot write the export: ") + std::strerror(errno),
                    "check the free space and permissions where the output goes");
    return n;
}

} // namespace cairn::audit
