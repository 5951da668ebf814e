#include "core/lineage/runs.hpp"

#include "core/audit/audit.hpp"
#include "core/util/error.hpp"
#include "core/util/random.hpp"
#include "core/util/time.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <iterator>
#include <unordered_map>
#include <unistd.h>

namespace cairn::lineage {

namespace {

constexpr const char* k_run_select =
    "SELECT r.id, r.uid, r.started_at, r.finished_at, r.exit_status, r.params, r.command_line, r.host, r.\"user\","
    " r.pid, t.id, t.uid, t.key, t.kind, t.source_hash, t.source_path, t.created_at"
    " FROM run r JOIN transform t ON t.id = r.transform_id ";

std::string text(sql::Statement& q, int i) { return q.getColumn(i).isNull() ? "" : q.getColumn(i).getString(); }

// Read once: read_run() needs it for every run of a lineage graph.
const std::string& this_host() {
    static const std::string k_host = [] {
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        return std::string(host);
    }();
    return k_host;
}

RunRow read_run(sql::Statement& q) {
    RunRow r;
    r.id = q.getColumn(0).getInt64();
    r.uid = text(q, 1);
    r.started_at = q.getColumn(2).getInt64();
    if (!q.getColumn(3).isNull()) r.finished_at = q.getColumn(3).getInt64();
    if (!q.getColumn(4).isNull()) r.exit_status = q.getColumn(4).getInt();
    if (const std::string params = text(q, 5); !params.empty()) {
        auto j = nlohmann::json::parse(params, nullptr, false);
        if (j.is_object())
            for (auto& [k, v] : j.items()) r.params[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    r.command_line = text(q, 6);
    r.host = text(q, 7);
    r.user = text(q, 8);
    r.pid = q.getColumn(9).getInt64();
    r.transform.id = q.getColumn(10).getInt64();
    r.transform.uid = text(q, 11);
    r.transform.key = text(q, 12);
    r.transform.kind = text(q, 13);
    if (!q.getColumn(14).isNull()) r.transform.source_hash = text(q, 14);
    r.transform.source_path = text(q, 15);
    r.transform.created_at = q.getColumn(16).getInt64();
    r.status = run_status(r, this_host());
    return r;
}

bool pid_alive(int64_t pid) {
    if (pid <= 0) return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string read_proc(int64_t pid, const char* what) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + what, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

int64_t parent_of(int64_t pid) {
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and
    // parentheses, so parse from the last ')'.
    const std::string stat = read_proc(pid, "stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 4 > stat.size()) return 0;
    try {
        return std::stoll(stat.substr(close + 4));
    } catch (...) {
        return 0;
    }
}

std::vector<RunArtifact> run_artifacts(catalog::Catalog& c, const std::string& sql, int64_t run_id) {
    sql::Statement q(c.sql(), sql);
    q.bind(1, run_id);
    std::vector<RunArtifact> out;
    while (q.executeStep()) {
        RunArtifact a;
        a.id = q.getColumn(0).getInt64();
        a.uid = text(q, 1);
        a.state = text(q, 4);
        if (a.state == "active") a.key = text(q, 2);
        a.version = q.getColumn(3).getInt();
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace

const char* status_name(RunStatus status) {
    switch (status) {
    case RunStatus::running: return "running";
    case RunStatus::unfinished: return "unfinished";
    case RunStatus::succeeded: return "succeeded";
    case RunStatus::failed: return "failed";
    }
    return "unknown";
}

std::map<std::string, std::string> parse_params(const std::vector<std::string>& params) {
    std::map<std::string, std::string> out;
    for (const auto& p : params) {
        const size_t eq = p.find('=');
        if (eq == std::string::npos || eq == 0)
            throw Error(ErrorKind::usage, "invalid parameter '" + p + "'", "write parameters as NAME=VALUE");
        std::string name = p.substr(0, eq);
        std::string value = p.substr(eq + 1);
        // The audit trail's redaction rule decides which names are secrets.
        if (redact_command_line({name + "=x"}) == name + "=***") value = "***";
        if (!out.emplace(name, value).second)
            throw Error(ErrorKind::usage, "parameter '" + name + "' given twice");
    }
    return out;
}

RunRow insert_run(catalog::Catalog& c, const Actor& actor, const StartOptions& o) {
    RunRow r;
    r.uid = new_uid();
    r.transform = ensure_transform(c, o.transform);
    r.started_at = now_ms();
    r.params = parse_params(o.params);
    r.command_line = o.command_line.empty() ? actor.command_line : o.command_line;
    r.host = actor.host;
    r.user = actor.identity;
    r.pid = o.pid != 0 ? o.pid : actor.pid;
    sql::Statement ins(c.sql(), "INSERT INTO run (uid, transform_id, started_at, params, command_line, host, \"user\", pid)"
                                  " VALUES (?,?,?,?,?,?,?,?) RETURNING id");
    ins.bind(1, r.uid);
    ins.bind(2, r.transform.id);
    ins.bind(3, r.started_at);
    ins.bind(4, nlohmann::json(r.params).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    ins.bind(5, r.command_line);
    ins.bind(6, r.host);
    ins.bind(7, r.user);
    ins.bind(8, r.pid);
    r.id = ins.insertReturningId();
    r.status = RunStatus::running;
    return r;
}

RunRow start_run(catalog::Catalog& c, const Actor& actor, const StartOptions& o) {
    RunRow r;
    c.write_transaction([&] {
        r = insert_run(c, actor, o);
        audit::append(c, actor, {"run.start", {}, "ok", std::nullopt,
                                 {{"run", r.uid}, {"transform", r.transform.key}, {"kind", r.transform.kind},
                                  {"pid", r.pid}}});
    });
    return r;
}

RunRow finish_run(catalog::Catalog& c, const Actor& actor, const std::string& uid, int exit_status) {
    RunRow r;
    c.write_transaction([&] {
        // Read inside the write lock so two finishers can't both succeed.
        r = require_run(c, uid);
        if (r.finished_at)
            throw Error(ErrorKind::conflict,
                        "run " + uid + " already finished at " + format_utc_ms(*r.finished_at) + " with exit status " +
                            std::to_string(r.exit_status.value_or(0)),
                        "start a new run with 'cairn run start'");
        r.finished_at = now_ms();
        r.exit_status = exit_status;
        sql::Statement q(c.sql(), "UPDATE run SET finished_at = ?, exit_status = ? WHERE id = ? AND finished_at IS NULL");
        q.bind(1, *r.finished_at);
        q.bind(2, exit_status);
        q.bind(3, r.id);
        q.exec();
        r.status = exit_status == 0 ? RunStatus::succeeded : RunStatus::failed;
        audit::append(c, actor, {"run.finish", {}, "ok", std::nullopt,
                                 {{"run", r.uid}, {"transform", r.transform.key}, {"exit_status", exit_status}}});
    });
    return r;
}

std::optional<RunRow> find_run(catalog::Catalog& c, const std::string& uid) {
    sql::Statement q(c.sql(), std::string(k_run_select) + "WHERE r.uid = ?");
    q.bind(1, uid);
    if (!q.executeStep()) return std::nullopt;
    return read_run(q);
}

std::optional<RunRow> find_run(catalog::Catalog& c, int64_t id) {
    sql::Statement q(c.sql(), std::string(k_run_select) + "WHERE r.id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_run(q);
}

std::vector<RunRow> find_runs(catalog::Catalog& c, const std::vector<int64_t>& ids) {
    // Up to k_batch ids a query: on PostgreSQL each query is a round trip,
    // and a graph of 400 runs took 400 of them (100 ms on loopback).
    constexpr size_t k_batch = 500;
    std::unordered_map<int64_t, RunRow> found;
    for (size_t from = 0; from < ids.size(); from += k_batch) {
        const size_t n = std::min(k_batch, ids.size() - from);
        std::string params = "?";
        for (size_t i = 1; i < n; ++i) params += ", ?";
        sql::Statement q(c.sql(), std::string(k_run_select) + "WHERE r.id IN (" + params + ")");
        for (size_t i = 0; i < n; ++i) q.bind(static_cast<int>(i + 1), ids[from + i]);
        while (q.executeStep()) {
            RunRow r = read_run(q);
            const int64_t id = r.id;
            found.emplace(id, std::move(r));
        }
    }
    std::vector<RunRow> out;
    out.reserve(found.size());
    for (int64_t id : ids)
        if (auto it = found.find(id); it != found.end()) out.push_back(it->second);
    return out;
}

RunRow require_run(catalog::Catalog& c, const std::string& uid) {
    if (auto r = find_run(c, uid)) return *r;
    throw Error(ErrorKind::not_found, "no run '" + uid + "'", "list runs with 'cairn run ls'");
}

std::vector<RunRow> list_runs(catalog::Catalog& c, const RunFilter& f) {
    sql::Statement q(c.sql(), std::string(k_run_select) +
                                    "WHERE substr(t.key, 1, length(?1)) = ?1 ORDER BY r.started_at DESC, r.id DESC LIMIT ?2");
    q.bind(1, f.transform);
    q.bind(2, f.limit > 0 ? f.limit : -1);
    std::vector<RunRow> out;
    while (q.executeStep()) out.push_back(read_run(q));
    return out;
}

std::vector<RunArtifact> run_inputs(catalog::Catalog& c, int64_t run_id) {
    return run_artifacts(c,
                         "SELECT a.id, a.uid, a.key, a.version, a.state FROM run_input ri"
                         " JOIN artifact a ON a.id = ri.artifact_id WHERE ri.run_id = ? ORDER BY a.key, a.version",
                         run_id);
}

std::vector<RunArtifact> run_outputs(catalog::Catalog& c, int64_t run_id) {
    return run_artifacts(c, "SELECT a.id, a.uid, a.key, a.version, a.state FROM artifact a WHERE a.run_id = ?"
                            " ORDER BY a.key, a.version",
                         run_id);
}

RunStatus run_status(const RunRow& r, const std::string& host) {
    if (r.finished_at) return r.exit_status.value_or(0) == 0 ? RunStatus::succeeded : RunStatus::failed;
    if (r.host == host && !pid_alive(r.pid)) return RunStatus::unfinished;
    return RunStatus::running;
}

int64_t owner_pid() {
    int64_t pid = static_cast<int64_t>(::getppid());
    for (int hops = 0; hops < 8; ++hops) {
        const int64_t parent = parent_of(pid);
        if (parent <= 1) break;
        const std::string mine = read_proc(pid, "cmdline");
        if (mine.empty() || mine != read_proc(parent, "cmdline")) break;
        pid = parent;
    }
    return pid;
}

std::string process_command_line(int64_t pid) {
    const std::string raw = read_proc(pid, "cmdline");
    std::vector<std::string> argv;
    size_t start = 0;
    while (start < raw.size()) {
        size_t end = raw.find('\0', start);
        if (end == std::string::npos) end = raw.size();
        argv.push_back(raw.substr(start, end - start));
        start = end + 1;
    }
    return redact_command_line(argv);
}

} // namespace cairn::lineage
