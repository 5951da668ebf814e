#include "core/lineage/graph.hpp"

#include "core/artifact/ref.hpp"
#include "core/util/error.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace cairn::lineage {

namespace {

// One level up: from an artifact to the inputs of the run that produced it.
constexpr const char* k_walk_up = R"sql(
WITH RECURSIVE walk(id, depth) AS (
    SELECT CAST(?1 AS INTEGER), 0
    UNION
    SELECT ri.artifact_id, walk.depth + 1
    FROM walk
    JOIN artifact a ON a.id = walk.id
    JOIN run_input ri ON ri.run_id = a.run_id
    WHERE walk.depth < ?2
), reached(id, depth) AS (
    SELECT id, MIN(depth) FROM walk GROUP BY id
)
)sql";

// One level down: from an artifact to the outputs of the runs that read it.
constexpr const char* k_walk_down = R"sql(
WITH RECURSIVE walk(id, depth) AS (
    SELECT CAST(?1 AS INTEGER), 0
    UNION
    SELECT o.id, walk.depth + 1
    FROM walk
    JOIN run_input ri ON ri.artifact_id = walk.id
    JOIN artifact o ON o.run_id = ri.run_id
    WHERE walk.depth < ?2
), reached(id, depth) AS (
    SELECT id, MIN(depth) FROM walk GROUP BY id
)
)sql";

// The same walks without depth: UNION keeps each artifact once, so the walk
// is linear in the size of the result however many paths lead to a node.
constexpr const char* k_set_up = R"sql(
WITH RECURSIVE walk(id) AS (
    SELECT CAST(?1 AS INTEGER)
    UNION
    SELECT ri.artifact_id
    FROM walk
    JOIN artifact a ON a.id = walk.id
    JOIN run_input ri ON ri.run_id = a.run_id
), reached(id, depth) AS (
    SELECT id, 0 FROM walk
)
)sql";

constexpr const char* k_set_down = R"sql(
WITH RECURSIVE walk(id) AS (
    SELECT CAST(?1 AS INTEGER)
    UNION
    SELECT o.id
    FROM walk
    JOIN run_input ri ON ri.artifact_id = walk.id
    JOIN artifact o ON o.run_id = ri.run_id
), reached(id, depth) AS (
    SELECT id, 0 FROM walk
)
)sql";

// Tombstones show when they were deleted, or when deletion was requested.
constexpr const char* k_node_columns = R"sql(
SELECT r.depth, a.id, a.uid, a.key, a.version, a.is_latest, a.state, a.created_at, a.run_id,
       CASE WHEN a.state = 'active' THEN NULL
            ELSE COALESCE(a.deleted_at, (SELECT MAX(dr.requested_at) FROM deletion_target dt
                                         JOIN deletion_request dr ON dr.id = dt.request_id
                                         WHERE dt.artifact_id = a.id)) END
FROM reached r JOIN artifact a ON a.id = r.id
)sql";

constexpr const char* k_edges_up = R"sql(
SELECT a.id, a.run_id, ri.artifact_id
FROM reached r
JOIN artifact a ON a.id = r.id
LEFT JOIN run_input ri ON ri.run_id = a.run_id
WHERE r.depth < ?2 AND a.run_id IS NOT NULL
)sql";

constexpr const char* k_edges_down = R"sql(
SELECT r.id, ri.run_id, o.id
FROM reached r
JOIN run_input ri ON ri.artifact_id = r.id
LEFT JOIN artifact o ON o.run_id = ri.run_id
WHERE r.depth < ?2
)sql";

ArtifactNode read_node(SQLite::Statement& q) {
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

using EdgeSet = std::set<std::tuple<int, int64_t, int64_t>>;

void add_edge(EdgeSet& edges, EdgeKind kind, int64_t artifact_id, int64_t run_id) {
    edges.emplace(static_cast<int>(kind), artifact_id, run_id);
}

// Depths by breadth-first search from the root over one walk's edges (up:
// artifact -> producing run -> its inputs; down: artifact -> reading runs ->
// their outputs), keeping what lies within `depth`.
void cut_to_depth(bool up, int64_t root, int depth, std::map<int64_t, ArtifactNode>& nodes, EdgeSet& edges) {
    std::multimap<int64_t, int64_t> next_runs, next_artifacts; // artifact -> runs, run -> artifacts
    for (const auto& [kind, artifact_id, run_id] : edges) {
        const bool toward_run = up ? kind == static_cast<int>(EdgeKind::output) : kind == static_cast<int>(EdgeKind::input);
        if (toward_run) next_runs.emplace(artifact_id, run_id);
        else next_artifacts.emplace(run_id, artifact_id);
    }
    std::map<int64_t, int> artifact_depth{{root, 0}};
    std::set<int64_t> runs_seen;
    std::vector<int64_t> frontier{root};
    for (int level = 0; level < depth && !frontier.empty(); ++level) {
        std::vector<int64_t> next;
        for (int64_t a : frontier) {
            auto [rb, re] = next_runs.equal_range(a);
            for (auto r = rb; r != re; ++r) {
                if (!runs_seen.insert(r->second).second) continue;
                auto [ab, ae] = next_artifacts.equal_range(r->second);
                for (auto x = ab; x != ae; ++x)
                    if (artifact_depth.emplace(x->second, level + 1).second) next.push_back(x->second);
            }
        }
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
    for (auto it = edges.begin(); it != edges.end();) {
        const auto& [kind, artifact_id, run_id] = *it;
        (void)kind;
        if (runs_seen.count(run_id) && artifact_depth.count(artifact_id)) ++it;
        else it = edges.erase(it);
    }
}

void walk(catalog::Catalog& c, bool up, int64_t root, int depth, std::map<int64_t, ArtifactNode>& nodes, EdgeSet& all_edges) {
    const bool tracked = depth <= k_tracked_depth;
    const char* cte = up ? (tracked ? k_walk_up : k_set_up) : (tracked ? k_walk_down : k_set_down);
    std::map<int64_t, ArtifactNode> found;
    SQLite::Statement q(c.db(), std::string(cte) + k_node_columns);
    q.bind(1, root);
    if (tracked) q.bind(2, depth);
    while (q.executeStep()) {
        ArtifactNode n = read_node(q);
        found.emplace(n.id, n);
    }
    EdgeSet edges;
    SQLite::Statement e(c.db(), std::string(cte) + (up ? k_edges_up : k_edges_down));
    e.bind(1, root);
    e.bind(2, tracked ? depth : 1);
    while (e.executeStep()) {
        const int64_t a = e.getColumn(0).getInt64();
        const int64_t run = e.getColumn(1).getInt64();
        const bool has_other = !e.getColumn(2).isNull();
        const int64_t other = has_other ? e.getColumn(2).getInt64() : 0;
        if (up) {
            add_edge(edges, EdgeKind::output, a, run);
            if (has_other) add_edge(edges, EdgeKind::input, other, run);
        } else {
            add_edge(edges, EdgeKind::input, a, run);
            if (has_other) add_edge(edges, EdgeKind::output, other, run);
        }
    }
    cut_to_depth(up, root, depth, found, edges);
    for (auto& [id, n] : found) {
        auto [it, fresh] = nodes.emplace(id, n);
        if (!fresh) it->second.depth = std::min(it->second.depth, n.depth);
    }
    all_edges.insert(edges.begin(), edges.end());
}

bool reaches(catalog::Catalog& c, const char* sql, int64_t from, int64_t target) {
    SQLite::Statement q(c.db(), sql);
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
    for (size_t i = 0; i < artifacts.size(); ++i) m_artifact_index.emplace(artifacts[i].id, i);
    for (size_t i = 0; i < runs.size(); ++i) m_run_index.emplace(runs[i].id, i);
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
                               const std::multimap<int64_t, size_t>& index, EdgeKind kind, bool by_run, int64_t id) {
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

Graph query_graph(catalog::Catalog& c, int64_t root, Direction direction, int depth) {
    Graph g;
    g.root = root;
    g.direction = direction;
    g.depth = depth <= 0 ? k_max_depth : std::min(depth, k_max_depth);
    std::map<int64_t, ArtifactNode> nodes;
    EdgeSet edges;
    if (direction != Direction::down) walk(c, true, root, g.depth, nodes, edges);
    if (direction != Direction::up) walk(c, false, root, g.depth, nodes, edges);
    if (!nodes.count(root)) throw Error(ErrorKind::not_found, "no artifact with id " + std::to_string(root));

    for (auto& [id, node] : nodes) g.artifacts.push_back(std::move(node));
    std::sort(g.artifacts.begin(), g.artifacts.end(), [&](const ArtifactNode& a, const ArtifactNode& b) {
        return std::tuple(a.id != root, a.depth, a.tombstone(), a.key, a.version, a.uid) <
               std::tuple(b.id != root, b.depth, b.tombstone(), b.key, b.version, b.uid);
    });
    std::set<int64_t> run_ids;
    for (const auto& [kind, artifact_id, run_id] : edges) {
        g.edges.push_back({static_cast<EdgeKind>(kind), artifact_id, run_id});
        run_ids.insert(run_id);
    }
    g.runs = find_runs(c, std::vector<int64_t>(run_ids.begin(), run_ids.end()));
    std::sort(g.runs.begin(), g.runs.end(),
              [](const RunRow& a, const RunRow& b) { return std::tie(a.started_at, a.id) < std::tie(b.started_at, b.id); });
    g.reindex();
    return g;
}

bool run_reaches(catalog::Catalog& c, int64_t run_id, int64_t artifact_id) {
    return reaches(c, R"sql(
WITH RECURSIVE down(id) AS (
    SELECT id FROM artifact WHERE run_id = ?1
    UNION
    SELECT o.id FROM down
    JOIN run_input ri ON ri.artifact_id = down.id
    JOIN artifact o ON o.run_id = ri.run_id
)
SELECT COUNT(*) FROM down WHERE id = ?2
)sql",
                   run_id, artifact_id);
}

bool feeds_run(catalog::Catalog& c, int64_t artifact_id, int64_t run_id) {
    return reaches(c, R"sql(
WITH RECURSIVE up(id) AS (
    SELECT artifact_id FROM run_input WHERE run_id = ?1
    UNION
    SELECT ri.artifact_id FROM up
    JOIN artifact a ON a.id = up.id
    JOIN run_input ri ON ri.run_id = a.run_id
)
SELECT COUNT(*) FROM up WHERE id = ?2
)sql",
                   run_id, artifact_id);
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
        id = row->id;
    }
    SQLite::Statement q(c.db(), std::string("WITH reached(id, depth) AS (SELECT CAST(?1 AS INTEGER), 0)") + k_node_columns);
    q.bind(1, id);
    q.executeStep();
    return read_node(q);
}

} // namespace cairn::lineage
