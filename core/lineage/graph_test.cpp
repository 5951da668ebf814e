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

    TEST_CASE("run_reaches and feeds_run follow the graph") {
        Pipeline p;
        CHECK(run_reaches(p.f.catalog(), p.r1.id, p.model.id));
        CHECK_FALSE(run_reaches(p.f.catalog(), p.r2.id, p.raw.id));
        CHECK(feeds_run(p.f.catalog(), p.raw.id, p.r2.id));
        CHECK_FALSE(feeds_run(p.f.catalog(), p.model.id, p.r1.id));
    }
}
