#pragma once
// Runs: one execution of a transform, with its parameters, command line,
// owning process and exit status. A run is open until finished; a run whose
// owning process died on this host without finishing shows as unfinished.
#include "core/catalog/catalog.hpp"
#include "core/instance/actor.hpp"
#include "core/lineage/transforms.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::lineage {

// The environment variable that names the current run.
inline constexpr const char* k_run_env = "CAIRN_RUN";

enum class RunStatus { running, unfinished, succeeded, failed };
const char* status_name(RunStatus status);

struct RunRow {
    int64_t id = 0;
    std::string uid;
    TransformRow transform;
    int64_t started_at = 0;
    std::optional<int64_t> finished_at;
    std::optional<int> exit_status;
    std::map<std::string, std::string> params;
    std::string command_line;
    std::string host;
    std::string user;
    int64_t pid = 0;
    RunStatus status = RunStatus::running; // derived, see run_status()
};

struct StartOptions {
    TransformSpec transform;
    std::vector<std::string> params; // "k=v"
    std::string command_line;        // of the process doing the work
    int64_t pid = 0;                 // that process; 0 = the actor's pid
};

// "k=v" strings to a map; values of secret-looking names become "***".
// Throws usage error for a missing '=' or an empty or duplicate name.
std::map<std::string, std::string> parse_params(const std::vector<std::string>& params);

// Inserts a new open run. Call inside a write transaction.
RunRow insert_run(catalog::Catalog& catalog, const Actor& actor, const StartOptions& options);

// Starts a run and records its audit event in one transaction.
RunRow start_run(catalog::Catalog& catalog, const Actor& actor, const StartOptions& options);

// Finishes an open run with `exit_status` and records the audit event in one
// transaction. Throws not_found for an unknown uid and conflict when the run
// is already finished.
RunRow finish_run(catalog::Catalog& catalog, const Actor& actor, const std::string& uid, int exit_status);

std::optional<RunRow> find_run(catalog::Catalog& catalog, const std::string& uid);
std::optional<RunRow> find_run(catalog::Catalog& catalog, int64_t id);
// Like find_run() but throws not_found naming the uid.
RunRow require_run(catalog::Catalog& catalog, const std::string& uid);

struct RunFilter {
    std::string transform; // key prefix; "" = all
    int limit = 50;
};
// Most recent first.
std::vector<RunRow> list_runs(catalog::Catalog& catalog, const RunFilter& filter);

struct RunArtifact {
    int64_t id = 0;
    std::string uid;
    std::string key; // "" for artifacts pending deletion or deleted
    int version = 0;
    std::string state;
};
std::vector<RunArtifact> run_inputs(catalog::Catalog& catalog, int64_t run_id);
std::vector<RunArtifact> run_outputs(catalog::Catalog& catalog, int64_t run_id);

// Open runs are "running" unless they belong to this host and their pid is
// gone ("unfinished"); finished runs succeeded with exit status 0.
RunStatus run_status(const RunRow& run, const std::string& this_host);

// The process that called `cairn run start`: the parent, skipping subshells
// (a parent whose command line equals its own parent's, as in
// `run=$(cairn run start ... | head -1)`), so the run belongs to the script.
int64_t owner_pid();
// The command line of `pid` from /proc ("" when unavailable), redacted.
std::string process_command_line(int64_t pid);

} // namespace cairn::lineage

namespace cairn::lineage {
// Runs by row id, a few queries for many ids (graph queries); unknown ids
// are skipped. Order follows `ids`.
std::vector<RunRow> find_runs(catalog::Catalog& catalog, const std::vector<int64_t>& ids);
} // namespace cairn::lineage
