#pragma once
// Lineage graph queries. The graph is bipartite: artifacts and runs. A run's
// inputs are run_input rows (artifact -> run); its outputs are artifacts with
// artifact.run_id (run -> artifact). Walks use recursive CTEs in SQL that
// PostgreSQL also accepts, limited by depth, where one level is one
// artifact -> run -> artifact hop.
#include "core/catalog/catalog.hpp"
#include "core/lineage/runs.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cairn::lineage {

enum class Direction { up, down, both };

// Depth used when none is given: deep enough for any real pipeline, and a
// bound on the walk should the catalog ever hold a cycle.
inline constexpr int k_max_depth = 10'000;
// Up to this depth the SQL walk tracks depth itself (rows <= nodes x depth);
// deeper walks collect the node set (each node once) and depths are computed
// by a breadth-first pass over the fetched edges.
inline constexpr int k_tracked_depth = 16;

struct ArtifactNode {
    int64_t id = 0;
    std::string uid;
    std::string key; // "" for tombstones: their names are not shown
    int version = 0;
    bool is_latest = false;
    std::string state; // active, pending_deletion, deleted
    int64_t created_at = 0;
    std::optional<int64_t> run_id;
    std::optional<int64_t> deleted_at; // deletion (or deletion request) time of tombstones
    int depth = 0;                     // hops from the root (up and down are both positive)
    bool tombstone() const { return state != "active"; }
};

enum class EdgeKind { input, output };

// input: artifact -> run (the run read it); output: run -> artifact.
struct Edge {
    EdgeKind kind = EdgeKind::input;
    int64_t artifact_id = 0;
    int64_t run_id = 0;
    friend bool operator==(const Edge&, const Edge&) = default;
};

struct Graph {
    int64_t root = 0;
    Direction direction = Direction::up;
    int depth = k_max_depth;
    std::vector<ArtifactNode> artifacts; // root first, then by depth, key, version
    std::vector<RunRow> runs;            // by start time
    std::vector<Edge> edges;

    const ArtifactNode* artifact(int64_t id) const;
    const RunRow* run(int64_t id) const;
    // Edges into / out of a node, in a stable order.
    std::vector<Edge> inputs_of_run(int64_t run_id) const;
    std::vector<Edge> outputs_of_run(int64_t run_id) const;
    std::vector<Edge> runs_reading(int64_t artifact_id) const;

    // Builds the id indexes behind the lookups above; query_graph calls it.
    // Without it (hand-built graphs) lookups scan.
    void reindex();

private:
    std::unordered_map<int64_t, size_t> m_artifact_index, m_run_index;
    std::unordered_multimap<int64_t, size_t> m_edges_by_run, m_edges_by_artifact;
};

// Ancestors (up), descendants (down) or both of artifact `root_id`, at most
// `depth` hops away (depth <= 0 means k_max_depth).
Graph query_graph(catalog::Catalog& catalog, int64_t root_id, Direction direction, int depth);

// True if `artifact_id` is an output of run `run_id` or derived from one.
bool run_reaches(catalog::Catalog& catalog, int64_t run_id, int64_t artifact_id);
// True if `artifact_id` is an input of run `run_id` or an ancestor of one.
bool feeds_run(catalog::Catalog& catalog, int64_t artifact_id, int64_t run_id);

// Finds the artifact for REF in any state, including deleted artifacts named
// by uid (their tombstones still have lineage). Throws not_found.
ArtifactNode resolve_node(catalog::Catalog& catalog, const std::string& ref);

} // namespace cairn::lineage
