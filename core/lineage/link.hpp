#pragma once
// The hooks save and load call to record lineage. While CAIRN_RUN names a
// run, every load records an input of that run and every save an output.
// `save --from REF...` records inputs explicitly: under CAIRN_RUN they become
// inputs of that run; without one, save records an implicit run of the
// reserved transform "manual" (kind "manual"), finished at once, whose
// inputs are the --from artifacts and whose output is the saved artifact. So
// every edge goes through a run and one set of queries covers both.
#include "core/catalog/artifacts.hpp"
#include "core/instance/actor.hpp"
#include "core/lineage/runs.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cairn::lineage {

// $CAIRN_RUN, or "" when unset or empty.
std::string active_run_uid();

// The open run `uid` names; nullopt for "". Throws not_found for an unknown
// run and conflict for a finished one. Call before doing any work.
std::optional<RunRow> open_run(catalog::Catalog& catalog, const std::string& uid);

struct OutputPlan {
    std::optional<RunRow> run;              // CAIRN_RUN
    std::vector<catalog::ArtifactRow> from; // --from
    bool empty() const { return !run && from.empty(); }
};

// Checks everything that can be checked before a save does any work: the
// run is known and open (not_found / conflict), every --from REF resolves
// (not_found), and no --from artifact is an output of the run or derived
// from one (usage error: a cycle).
OutputPlan plan_output(catalog::Catalog& catalog, const std::vector<std::string>& from,
                       const std::string& run_uid = active_run_uid());

struct OutputLink {
    std::string run_uid;             // the run now producing the artifact ("" = none)
    bool implicit = false;           // a "manual" run made for --from
    bool kept_existing_run = false;  // the artifact already had a producing run
    std::vector<std::string> inputs; // uids recorded as inputs by this save
    nlohmann::json to_json() const;
};

// Records `artifact` (inserted or found by content) as an output of the
// planned run, creating the implicit run for --from, and the --from inputs.
// An artifact that already has a producing run keeps it. Throws usage error
// when an input is the artifact itself or derived from it, conflict when the
// run finished meanwhile. Call inside the write transaction that inserts
// the artifact; a no-op for an empty plan.
OutputLink record_output(catalog::Catalog& catalog, const Actor& actor, const OutputPlan& plan,
                         catalog::ArtifactRow& artifact);

// Records `artifact` as an input of `run` unless it is an output of that run
// or derived from one (reading back what the run wrote is not an input).
// Returns whether an edge was recorded. Throws conflict when the run
// finished meanwhile. Call inside a write transaction.
bool record_input(catalog::Catalog& catalog, const std::optional<RunRow>& run, const catalog::ArtifactRow& artifact);

} // namespace cairn::lineage
