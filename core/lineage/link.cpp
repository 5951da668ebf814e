#include "core/lineage/link.hpp"

#include "core/artifact/ref.hpp"
#include "core/lineage/graph.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

#include <cstdlib>

namespace cairn::lineage {

namespace {

Error cycle_error(const catalog::ArtifactRow& input, const std::string& output_name) {
    const std::string name = input.key + "@v" + std::to_string(input.version);
    return Error(ErrorKind::usage,
                 "cannot record " + name + " as an input of " + output_name + ": " + name +
                     " is derived from it, so this would make a cycle",
                 "an artifact can't be derived from itself or its descendants; check the --from list");
}

void require_open(const RunRow& run) {
    if (run.finished_at)
        throw Error(ErrorKind::conflict,
                    "run " + run.uid + " finished at " + format_utc_ms(*run.finished_at) + " and takes no new inputs or outputs",
                    "start a new run, or unset CAIRN_RUN");
}

// The run re-read inside the write transaction, so a finish that happened
// after the plan was made is seen.
RunRow reread_open(catalog::Catalog& c, const RunRow& run) {
    RunRow now = require_run(c, run.uid);
    require_open(now);
    return now;
}

void insert_input(catalog::Catalog& c, int64_t run_id, int64_t artifact_id) {
    sql::Statement q(c.sql(), "INSERT INTO run_input (run_id, artifact_id, recorded_at) VALUES (?,?,?)"
                                " ON CONFLICT DO NOTHING");
    q.bind(1, run_id);
    q.bind(2, artifact_id);
    q.bind(3, now_ms());
    q.exec();
}

void set_producer(catalog::Catalog& c, catalog::ArtifactRow& artifact, int64_t run_id) {
    sql::Statement q(c.sql(), "UPDATE artifact SET run_id = ? WHERE id = ?");
    q.bind(1, run_id);
    q.bind(2, artifact.id);
    q.exec();
    artifact.run_id = run_id;
}

RunRow insert_manual_run(catalog::Catalog& c, const Actor& actor) {
    StartOptions o;
    o.transform = {"manual", k_manual_kind, std::nullopt, ""};
    RunRow run = insert_run(c, actor, o);
    sql::Statement q(c.sql(), "UPDATE run SET finished_at = started_at, exit_status = 0 WHERE id = ?");
    q.bind(1, run.id);
    q.exec();
    run.finished_at = run.started_at;
    run.exit_status = 0;
    run.status = RunStatus::succeeded;
    return run;
}

} // namespace

std::string active_run_uid() {
    const char* env = std::getenv(k_run_env);
    return env ? env : "";
}

std::optional<RunRow> open_run(catalog::Catalog& c, const std::string& uid) {
    if (uid.empty()) return std::nullopt;
    auto run = find_run(c, uid);
    if (!run)
        throw Error(ErrorKind::not_found, std::string("no run '") + uid + "' (" + k_run_env + ")",
                    "start one with 'cairn run start', or unset CAIRN_RUN");
    require_open(*run);
    return run;
}

OutputPlan plan_output(catalog::Catalog& c, const std::vector<std::string>& from, const std::string& run_uid) {
    OutputPlan plan;
    plan.run = open_run(c, run_uid);
    for (const auto& ref : from) {
        catalog::ArtifactRow input = artifact::resolve(c, ref);
        if (plan.run && run_reaches(c, plan.run->id, input.id)) throw cycle_error(input, "the output of run " + plan.run->uid);
        plan.from.push_back(std::move(input));
    }
    return plan;
}

nlohmann::json OutputLink::to_json() const {
    nlohmann::json j = {{"run", run_uid}, {"inputs", inputs}};
    if (implicit) j["implicit"] = true;
    if (kept_existing_run) j["kept_existing_run"] = true;
    return j;
}

OutputLink record_output(catalog::Catalog& c, const Actor& actor, const OutputPlan& plan, catalog::ArtifactRow& artifact) {
    OutputLink link;
    if (plan.empty()) return link;
    const std::string output_name = artifact.key + "@v" + std::to_string(artifact.version);
    for (const auto& input : plan.from)
        if (input.id == artifact.id) throw cycle_error(input, output_name);

    std::optional<RunRow> run;
    if (plan.run) run = reread_open(c, *plan.run);
    if (artifact.run_id && (!run || *artifact.run_id != run->id)) {
        // Same content saved again: the first run that produced it stays its
        // producer; history is never rewritten.
        link.kept_existing_run = true;
        if (auto producer = find_run(c, *artifact.run_id)) link.run_uid = producer->uid;
        if (!run) return link;
    } else {
        if (!run) {
            run = insert_manual_run(c, actor);
            link.implicit = true;
        } else if (artifact.run_id != run->id && feeds_run(c, artifact.id, run->id)) {
            throw Error(ErrorKind::usage,
                        "cannot record " + output_name + " as an output of run " + run->uid + ": the run read it or one of its descendants",
                        "an artifact can't be derived from itself or its descendants");
        }
        set_producer(c, artifact, run->id);
        link.run_uid = run->uid;
    }
    for (const auto& input : plan.from) {
        if (run_reaches(c, run->id, input.id)) throw cycle_error(input, output_name);
        insert_input(c, run->id, input.id);
        link.inputs.push_back(input.uid);
    }
    return link;
}

bool record_input(catalog::Catalog& c, const std::optional<RunRow>& run, const catalog::ArtifactRow& artifact) {
    if (!run) return false;
    const RunRow now = reread_open(c, *run);
    if (run_reaches(c, now.id, artifact.id)) return false;
    insert_input(c, now.id, artifact.id);
    return true;
}

} // namespace cairn::lineage
