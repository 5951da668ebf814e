#include "core/lineage/graph.hpp"

#include "core/lineage/test_support.hpp"
#include "core/util/error.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

using namespace cairn;
using namespace cairn::lineage;

namespace {

std::set<std::string> uids(const Graph& g) {
    std::set<std::string> out;
    for (const auto& a : g.artifacts) out.insert(a.uid);
    return out;
}

bool has_edge(const Graph& g, EdgeKind kind, int64_t artifact_id, int64_t run_id) {
    return std::find(g.edges.begin(), g.edges.end(), Edge{kind, artifact_id, run_id}) !=
           g.edges.end();
}

// R1 reads s and writes x and y; R2 reads x and writes z; R3 reads y and z
// and writes root. Going up from root, x (depth 2) is reached through R2
// while R1 is expanded from y (depth 1): at --depth 2 both ends of x <- R1
// are shown.
struct Diamond {
    testing::Fixture f;
    catalog::ArtifactRow s, x, y, z, root;
    RunRow r1, r2, r3;
    Diamond() {
        s = f.artifact("s");
        r1 = f.start("r1.sh");
        f.load(r1, s);
        x = f.artifact("x", &r1);
        y = f.artifact("y", &r1);
        r2 = f.start("r2.sh");
        f.load(r2, x);
        z = f.artifact("z", &r2);
        r3 = f.start("r3.sh");
        f.load(r3, y);
        f.load(r3, z);
        root = f.artifact("root", &r3);
    }
    // `hops` more runs on top of root, each reading the previous artifact.
    catalog::ArtifactRow chain_on_top(int hops) {
        catalog::ArtifactRow top = root;
        for (int i = 0; i < hops; ++i) {
            RunRow r = f.start("step.sh");
            f.load(r, top);
            top = f.artifact("c" + std::to_string(i), &r);
        }
        return top;
    }
};

// raw -> R1(clean.sh) -> clean -> R2(train.py) -> model, with extra -> R2.
struct Pipeline {
    testing::Fixture f;
    catalog::ArtifactRow raw, extra, clean, model;
    RunRow r1, r2;
    Pipeline() {
        raw = f.artifact("data/raw.csv");
        extra = f.artifact("data/extra.csv");
        r1 = f.start("clean.sh");
        f.load(r1, raw);
        clean = f.artifact("data/clean.csv", &r1);
        r2 = f.start("train.py");
        f.load(r2, clean);
        f.load(r2, extra);
        model = f.artifact("models/model.bin", &r2);
    }
};

} // namespace

TEST_SUITE("core::lineage::graph") {
    TEST_CASE("query_graph: ancestors through runs, with edges") {
        Pipeline p;
        Graph g = query_graph(p.f.catalog(), p.model.id, Direction::up, 0);
        CHECK(uids(g) == std::set<std::string>{p.raw.uid, p.extra.uid, p.clean.uid, p.model.uid});
        CHECK(g.artifacts.front().uid == p.model.uid);
        REQUIRE(g.runs.size() == 2);
        CHECK(g.runs[0].uid == p.r1.uid);
        CHECK(g.edges.size() == 5); // raw->r1, r1->clean, clean->r2, extra->r2, r2->model
        CHECK(g.inputs_of_run(p.r2.id).size() == 2);
        CHECK(g.artifact(p.raw.id)->depth == 2);
        CHECK(g.artifact(p.clean.id)->depth == 1);
    }

    TEST_CASE("query_graph: depth limits the walk") {
        Pipeline p;
        Graph g = query_graph(p.f.catalog(), p.model.id, Direction::up, 1);
        CHECK(uids(g) == std::set<std::string>{p.extra.uid, p.clean.uid, p.model.uid});
        CHECK(g.runs.size() == 1);
        CHECK(!g.run(p.r1.id));
    }

    TEST_CASE("query_graph: descendants and both directions") {
        Pipeline p;
        Graph down = query_graph(p.f.catalog(), p.raw.id, Direction::down, 0);
        CHECK(uids(down) == std::set<std::string>{p.raw.uid, p.clean.uid, p.model.uid});
        CHECK(query_graph(p.f.catalog(), p.raw.id, Direction::down, 1).artifacts.size() == 2);
        Graph both = query_graph(p.f.catalog(), p.clean.id, Direction::both, 0);
        CHECK(uids(both) == std::set<std::string>{p.raw.uid, p.clean.uid, p.model.uid}); // extra is a co-input, not related
        CHECK(both.runs.size() == 2);
    }

    TEST_CASE("query_graph: a new version of an input is a different node") {
        Pipeline p;
        auto raw2 = p.f.artifact("data/raw.csv");
        CHECK(raw2.version == 2);
        Graph g = query_graph(p.f.catalog(), p.clean.id, Direction::up, 0);
        CHECK(uids(g).count(p.raw.uid) == 1);
        CHECK(uids(g).count(raw2.uid) == 0);
        CHECK_FALSE(g.artifact(p.raw.id)->is_latest);
        CHECK(query_graph(p.f.catalog(), raw2.id, Direction::down, 0).artifacts.size() == 1);
    }

    TEST_CASE("query_graph: deleted and pending artifacts are tombstones without a key") {
        Pipeline p;
        p.f.set_state(p.raw, "deleted", 1'800'000'000'000);
        p.f.set_state(p.extra, "pending_deletion", 1'800'000'000'000);
        Graph g = query_graph(p.f.catalog(), p.model.id, Direction::up, 0);
        const ArtifactNode* raw = g.artifact(p.raw.id);
        REQUIRE(raw);
        CHECK(raw->tombstone());
        CHECK(raw->key.empty());
        CHECK(raw->deleted_at == 1'800'000'000'000);
        CHECK(g.artifact(p.extra.id)->tombstone());
        // The deleted artifact is still reachable by uid.
        CHECK(resolve_node(p.f.catalog(), p.raw.uid).id == p.raw.id);
        CHECK_THROWS_AS(resolve_node(p.f.catalog(), "data/raw.csv"), Error);
    }

    TEST_CASE("query_graph: at the depth limit, edges between shown nodes are kept") {
        Diamond d;
        const Graph shallow = query_graph(d.f.catalog(), d.root.id, Direction::up, 2);
        CHECK(uids(shallow) ==
              std::set<std::string>{d.root.uid, d.y.uid, d.z.uid, d.s.uid, d.x.uid});
        CHECK(shallow.artifact(d.x.id)->depth == 2);
        CHECK(shallow.runs.size() == 3);
        CHECK(has_edge(shallow, EdgeKind::output, d.x.id, d.r1.id));
        CHECK(has_edge(shallow, EdgeKind::input, d.s.id, d.r1.id));
        CHECK(shallow.edges.size() == 8);

        const Graph one = query_graph(d.f.catalog(), d.root.id, Direction::up, 1);
        CHECK(uids(one) == std::set<std::string>{d.root.uid, d.y.uid, d.z.uid});
        CHECK(one.runs.size() == 1); // r1 and r2 are beyond the limit
        CHECK(one.edges.size() == 3);
    }

    TEST_CASE("query_graph: walks deeper than SQL tracks give the same graph") {
        Diamond d;
        const int hops = k_tracked_depth; // root at depth 16, x at 18
        const catalog::ArtifactRow top = d.chain_on_top(hops);
        const Graph deep = query_graph(d.f.catalog(), top.id, Direction::up, hops + 2);
        const Graph shallow = query_graph(d.f.catalog(), d.root.id, Direction::up, 2);
        CHECK(deep.artifacts.size() == shallow.artifacts.size() + hops);
        CHECK(deep.artifact(d.x.id)->depth == hops + 2);
        for (const Edge& e : shallow.edges)
            CHECK(has_edge(deep, e.kind, e.artifact_id, e.run_id));
        CHECK(deep.edges.size() == shallow.edges.size() + 2 * hops);
        // One level less leaves out s, x, r1 and r2, as at depth 1 from root.
        const Graph cut = query_graph(d.f.catalog(), top.id, Direction::up, hops + 1);
        CHECK(cut.artifacts.size() == hops + 3);
        CHECK_FALSE(cut.run(d.r1.id));
        CHECK_FALSE(has_edge(cut, EdgeKind::input, d.s.id, d.r1.id));
    }

    TEST_CASE("query_graph: down, a run that wrote nothing still shows with its input") {
        Pipeline p;
        const RunRow report = p.f.start("report.sh");
        p.f.load(report, p.clean);
        const Graph g = query_graph(p.f.catalog(), p.raw.id, Direction::down, 0);
        REQUIRE(g.run(report.id));
        CHECK(g.runs.size() == 3);
        CHECK(has_edge(g, EdgeKind::input, p.clean.id, report.id));
        CHECK(g.outputs_of_run(report.id).empty());
        CHECK(g.runs_reading(p.clean.id).size() == 2);
        // extra is an input of r2, which is in the graph, but not derived from raw.
        CHECK_FALSE(g.artifact(p.extra.id));
        CHECK_FALSE(has_edge(g, EdgeKind::input, p.extra.id, p.r2.id));
    }

    TEST_CASE("query_graph: runs come whole, in start order, with their transform") {
        Pipeline p;
        const Graph g = query_graph(p.f.catalog(), p.model.id, Direction::both, 0);
        REQUIRE(g.runs.size() == 2);
        CHECK(g.runs[0].id == p.r1.id);
        CHECK(g.runs[0].transform.key == "clean.sh");
        CHECK(g.runs[1].transform.key == "train.py");
        CHECK(g.runs[1].host == p.r2.host);
        CHECK(g.artifacts.front().id == p.model.id);
    }

    TEST_CASE("run_reaches and feeds_run follow the graph") {
        Pipeline p;
        CHECK(run_reaches(p.f.catalog(), p.r1.id, p.model.id));
        CHECK_FALSE(run_reaches(p.f.catalog(), p.r2.id, p.raw.id));
        CHECK(feeds_run(p.f.catalog(), p.raw.id, p.r2.id));
        CHECK_FALSE(feeds_run(p.f.catalog(), p.model.id, p.r1.id));
    }
}
