#include "core/lineage/graph.hpp"

#include "core/artifact/ref.hpp"
#include "core/audit/resolved.hpp"
#include "core/util/error.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace cairn::lineage {

namespace {

// How a walk moves one level (one artifact -> run -> artifact hop) from the
// artifact walk.id, and which run_input rows are edges at a reached artifact
// a. Up: to the inputs of the run that produced it. Down: to the outputs of
// the runs that read it.
struct Step {
    const char* next;
    const char* joins;
    const char* run_inputs;
};

constexpr Step k_up{"ri.artifact_id",
                    "JOIN artifact a ON a.id = walk.id JOIN run_input ri ON ri.run_id = a.run_id",
                    "ri.run_id = a.run_id"};
constexpr Step k_down{"o.id",
                      "JOIN run_input ri ON ri.artifact_id = walk.id "
                      "JOIN artifact o ON o.run_id = ri.run_id",
                      "ri.artifact_id = a.id"};

// walk(id) holds every artifact reachable from the ids `anchor` selects.
// UNION keeps each artifact once, so the walk is linear in the size of the
// result however many paths lead to a node. With depth, walk(id, depth)
// stops at ?2 and holds a row per artifact and depth it is reached at.
std::string walk_cte(const Step& s, const std::string& anchor, bool with_depth) {
    const std::string depth = with_depth ? ", depth" : "";
    return "WITH RECURSIVE walk(id" + depth + ") AS (\n  " + anchor + "\n  UNION\n  SELECT " +
           s.next + (with_depth ? ", walk.depth + 1" : "") + " FROM walk " + s.joins +
           (with_depth ? " WHERE walk.depth < ?2" : "") + "\n)\n";
}

// reached(id, depth): the artifacts within `depth` hops of ?1. Up to
// k_tracked_depth SQL tracks depth itself, so a shallow query on a deep
// history stops early; deeper walks collect the node set and leave depths
// to cut_to_depth().
std::string reached_cte(const Step& s, int depth) {
    if (depth <= k_tracked_depth)
        return walk_cte(s, "SELECT CAST(?1 AS BIGINT), 0", true) +
               ", reached(id, depth) AS (SELECT id, MIN(depth) FROM walk GROUP BY id)\n";
    return walk_cte(s, "SELECT CAST(?1 AS BIGINT)", false) +
           ", reached(id, depth) AS (SELECT id, 0 FROM walk)\n";
}

// Tombstones show when they were deleted, or when deletion was requested.
constexpr const char* k_node_columns = R"sql(
SELECT r.depth, a.id, a.uid, a.key, a.version, a.is_latest, a.state, a.created_at, a.run_id,
       CASE WHEN a.state = 'active' THEN NULL
            ELSE COALESCE(a.deleted_at, (SELECT MAX(dr.requested_at) FROM deletion_target dt
                                         JOIN deletion_request dr ON dr.id = dt.request_id
                                         WHERE dt.artifact_id = a.id)) END
)sql";
constexpr int k_node_column_count = 10;

constexpr const char* k_from_reached = " FROM reached r JOIN artifact a ON a.id = r.id";

ArtifactNode read_node(sql::Statement& q) {
    ArtifactNode n;
    n.depth = q.getColumn(0).getInt();
    n.id = q.getColumn(1).getInt64();
    n.uid = q.getColumn(2).getString();
    n.version = q.getColumn(4).getInt();
    n.is_latest = q.getColumn(5).getInt() != 0;
    n.state = q.getColumn(6).getString();
    // A tombstone carries no name: its key may be personal data being erased.
    if (!n.tombstone() && !q.getColumn(3).isNull()) n.key = q.getColumn(3).getString();
    n.created_at = q.getColumn(7).getInt64();
    if (!q.getColumn(8).isNull()) n.run_id = q.getColumn(8).getInt64();
    if (n.tombstone() && !q.getColumn(9).isNull()) n.deleted_at = q.getColumn(9).getInt64();
    return n;
}

using Nodes = std::unordered_map<int64_t, ArtifactNode>;

bool edge_less(const Edge& a, const Edge& b) {
    return std::tie(a.kind, a.artifact_id, a.run_id) < std::tie(b.kind, b.artifact_id, b.run_id);
}

// One walk's nodes and every edge at them, in one statement: a row per
// reached artifact and run_input row at it. Edges may reach past the walk
// (the producing run of the root going down, runs beyond the depth limit);
// cut_to_depth() drops those.
void fetch(catalog::Catalog& c, const Step& s, int64_t root, int depth, Nodes& nodes,
           std::vector<Edge>& edges) {
    sql::Statement q(c.sql(), reached_cte(s, depth) + k_node_columns +
                                    ", ri.artifact_id, ri.run_id" + k_from_reached +
                                    " LEFT JOIN run_input ri ON " + s.run_inputs);
    q.bind(1, root);
    if (depth <= k_tracked_depth) q.bind(2, depth);
    while (q.executeStep()) {
        const int64_t id = q.getColumn(1).getInt64();
        if (!nodes.count(id)) {
            ArtifactNode n = read_node(q);
            if (n.run_id) edges.push_back({EdgeKind::output, id, *n.run_id});
            nodes.emplace(id, std::move(n));
        }
        if (!q.getColumn(k_node_column_count).isNull())
            edges.push_back({EdgeKind::input, q.getColumn(k_node_column_count).getInt64(),
                             q.getColumn(k_node_column_count + 1).getInt64()});
    }
}

// Depths by breadth-first search from the root over one walk's edges (up:
// artifact -> producing run -> its inputs; down: artifact -> reading runs ->
// their outputs). Keeps the nodes within `depth` and the edges of the runs
// expanded on the way, so a run at the depth limit is left out.
void cut_to_depth(bool up, int64_t root, int depth, Nodes& nodes, std::vector<Edge>& edges) {
    std::unordered_map<int64_t, std::vector<int64_t>> runs_of, artifacts_of; // next hops
    for (const Edge& e : edges) {
        if ((e.kind == EdgeKind::output) == up)
            runs_of[e.artifact_id].push_back(e.run_id);
        else
            artifacts_of[e.run_id].push_back(e.artifact_id);
    }
    std::unordered_map<int64_t, int> artifact_depth{{root, 0}};
    std::unordered_set<int64_t> runs_seen;
    std::vector<int64_t> frontier{root};
    for (int level = 0; level < depth && !frontier.empty(); ++level) {
        std::vector<int64_t> next;
        for (int64_t a : frontier)
            for (int64_t r : runs_of[a])
                if (runs_seen.insert(r).second)
                    for (int64_t x : artifacts_of[r])
                        if (artifact_depth.emplace(x, level + 1).second) next.push_back(x);
        frontier = std::move(next);
    }
    for (auto it = nodes.begin(); it != nodes.end();) {
        auto d = artifact_depth.find(it->first);
        if (d == artifact_depth.end()) {
            it = nodes.erase(it);
        } else {
            it->second.depth = d->second;
            ++it;
        }
    }
    std::erase_if(edges, [&](const Edge& e) {
        return !runs_seen.count(e.run_id) || !artifact_depth.count(e.artifact_id);
    });
}

void walk(catalog::Catalog& c, bool up, int64_t root, int depth, Nodes& all_nodes,
          std::vector<Edge>& all_edges) {
    Nodes nodes;
    std::vector<Edge> edges;
    fetch(c, up ? k_up : k_down, root, depth, nodes, edges);
    cut_to_depth(up, root, depth, nodes, edges);
    for (auto& [id, n] : nodes) {
        // Only the root is in both walks; try_emplace leaves `n` alone then.
        auto [it, fresh] = all_nodes.try_emplace(id, std::move(n));
        if (!fresh) it->second.depth = std::min(it->second.depth, n.depth);
    }
    all_edges.insert(all_edges.end(), edges.begin(), edges.end());
}

// True if `target` is among the artifacts `anchor` (binding ?1 to `from`)
// selects or reachable from them by `step`.
bool reaches(catalog::Catalog& c, const Step& step, const char* anchor, int64_t from,
             int64_t target) {
    sql::Statement q(c.sql(),
                        walk_cte(step, anchor, false) + "SELECT COUNT(*) FROM walk WHERE id = ?2");
    q.bind(1, from);
    q.bind(2, target);
    q.executeStep();
    return q.getColumn(0).getInt64() > 0;
}

} // namespace

void Graph::reindex() {
    m_artifact_index.clear();
    m_run_index.clear();
    m_edges_by_run.clear();
    m_edges_by_artifact.clear();
    for (size_t i = 0; i < artifacts.size(); ++i)
        m_artifact_index.emplace(artifacts[i].id, i);
    for (size_t i = 0; i < runs.size(); ++i)
        m_run_index.emplace(runs[i].id, i);
    for (size_t i = 0; i < edges.size(); ++i) {
        m_edges_by_run.emplace(edges[i].run_id, i);
        m_edges_by_artifact.emplace(edges[i].artifact_id, i);
    }
}

const ArtifactNode* Graph::artifact(int64_t id) const {
    if (m_artifact_index.size() == artifacts.size()) {
        auto it = m_artifact_index.find(id);
        return it == m_artifact_index.end() ? nullptr : &artifacts[it->second];
    }
    for (const auto& a : artifacts)
        if (a.id == id) return &a;
    return nullptr;
}

const RunRow* Graph::run(int64_t id) const {
    if (m_run_index.size() == runs.size()) {
        auto it = m_run_index.find(id);
        return it == m_run_index.end() ? nullptr : &runs[it->second];
    }
    for (const auto& r : runs)
        if (r.id == id) return &r;
    return nullptr;
}

namespace {

std::vector<Edge> select_edges(const Graph& g, const std::vector<Edge>& edges,
                               const std::unordered_multimap<int64_t, size_t>& index, EdgeKind kind,
                               bool by_run, int64_t id) {
    std::vector<Edge> out;
    if (index.size() == edges.size()) {
        auto [b, e] = index.equal_range(id);
        for (auto it = b; it != e; ++it)
            if (edges[it->second].kind == kind) out.push_back(edges[it->second]);
    } else {
        for (const auto& e : edges)
            if (e.kind == kind && (by_run ? e.run_id : e.artifact_id) == id) out.push_back(e);
    }
    // Stable order: by the other end's position in the graph.
    std::sort(out.begin(), out.end(), [&](const Edge& a, const Edge& b) {
        auto pos = [&](const Edge& x) -> std::pair<int64_t, int64_t> {
            if (by_run) {
                const ArtifactNode* n = g.artifact(x.artifact_id);
                return {n ? static_cast<int64_t>(n - g.artifacts.data()) : 0, x.artifact_id};
            }
            const RunRow* r = g.run(x.run_id);
            return {r ? static_cast<int64_t>(r - g.runs.data()) : 0, x.run_id};
        };
        return pos(a) < pos(b);
    });
    return out;
}

} // namespace

std::vector<Edge> Graph::inputs_of_run(int64_t run_id) const {
    return select_edges(*this, edges, m_edges_by_run, EdgeKind::input, true, run_id);
}
std::vector<Edge> Graph::outputs_of_run(int64_t run_id) const {
    return select_edges(*this, edges, m_edges_by_run, EdgeKind::output, true, run_id);
}
std::vector<Edge> Graph::runs_reading(int64_t artifact_id) const {
    return select_edges(*this, edges, m_edges_by_artifact, EdgeKind::input, false, artifact_id);
}

namespace {

// Root first, then by depth, live before tombstones, key, version.
void sort_artifacts(std::vector<ArtifactNode>& artifacts, int64_t root) {
    using Rank = std::tuple<bool, int, bool, const std::string&, int, const std::string&>;
    auto rank = [root](const ArtifactNode& a) {
        return Rank(a.id != root, a.depth, a.tombstone(), a.key, a.version, a.uid);
    };
    std::sort(artifacts.begin(), artifacts.end(),
              [&](const ArtifactNode& a, const ArtifactNode& b) { return rank(a) < rank(b); });
}

// The runs the edges go through, by start time.
std::vector<RunRow> runs_of(catalog::Catalog& c, const std::vector<Edge>& edges) {
    std::vector<int64_t> ids;
    ids.reserve(edges.size());
    for (const Edge& e : edges)
        ids.push_back(e.run_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<RunRow> runs = find_runs(c, ids);
    std::sort(runs.begin(), runs.end(), [](const RunRow& a, const RunRow& b) {
        return std::tie(a.started_at, a.id) < std::tie(b.started_at, b.id);
    });
    return runs;
}

} // namespace

Graph query_graph(catalog::Catalog& c, int64_t root, Direction direction, int depth) {
    Graph g;
    g.root = root;
    g.direction = direction;
    g.depth = depth <= 0 ? k_max_depth : std::min(depth, k_max_depth);
    Nodes nodes;
    // One snapshot, so the runs match the edges even while others save.
    c.read_transaction([&] {
        if (direction != Direction::down) walk(c, true, root, g.depth, nodes, g.edges);
        if (direction != Direction::up) walk(c, false, root, g.depth, nodes, g.edges);
        if (!nodes.count(root))
            throw Error(ErrorKind::not_found, "no artifact with id " + std::to_string(root));
        // Going up, each output of a run lists the run's inputs again.
        std::sort(g.edges.begin(), g.edges.end(), edge_less);
        g.edges.erase(std::unique(g.edges.begin(), g.edges.end()), g.edges.end());
        g.runs = runs_of(c, g.edges);
    });
    g.artifacts.reserve(nodes.size());
    for (auto& [id, node] : nodes)
        g.artifacts.push_back(std::move(node));
    sort_artifacts(g.artifacts, root);
    g.reindex();
    return g;
}

bool run_reaches(catalog::Catalog& c, int64_t run_id, int64_t artifact_id) {
    return reaches(c, k_down, "SELECT id FROM artifact WHERE run_id = ?1", run_id, artifact_id);
}

bool feeds_run(catalog::Catalog& c, int64_t artifact_id, int64_t run_id) {
    return reaches(c, k_up, "SELECT artifact_id FROM run_input WHERE run_id = ?1", run_id,
                   artifact_id);
}

ArtifactNode resolve_node(catalog::Catalog& c, const std::string& ref) {
    int64_t id = 0;
    try {
        id = artifact::resolve_any_state(c, ref).id;
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::not_found) throw;
        // A deleted artifact keeps its uid and its place in the graph.
        auto row = catalog::find_by_uid(c, ref);
        if (!row) throw;
        audit::note_resolved(row->uid);
        id = row->id;
    }
    sql::Statement q(c.sql(),
                        std::string("WITH reached(id, depth) AS (SELECT CAST(?1 AS BIGINT), 0)") +
                            k_node_columns + k_from_reached);
    q.bind(1, id);
    q.executeStep();
    return read_node(q);
}

} // namespace cairn::lineage
