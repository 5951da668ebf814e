#include "core/lineage/render.hpp"

#include "core/lineage/test_support.hpp"

#include <doctest/doctest.h>

using namespace cairn;
using namespace cairn::lineage;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

struct Small {
    testing::Fixture f;
    catalog::ArtifactRow raw, gone, clean;
    RunRow run;
    Small() {
        raw = f.artifact("data/raw \"q\".csv");
        gone = f.artifact("secret/name.csv");
        run = f.start("clean.sh");
        f.load(run, raw);
        f.load(run, gone);
        clean = f.artifact("data/clean.csv", &run);
        finish_run(f.catalog(), f.actor(), run.uid, 0);
        f.set_state(gone, "deleted", 1'795'538'372'123);
    }
    Graph up() { return query_graph(f.catalog(), clean.id, Direction::up, 0); }
};

} // namespace

TEST_SUITE("core::lineage::render") {
    TEST_CASE("text: a box-drawing tree with run and tombstone") {
        Small s;
        const std::string t = render_text(s.up());
        CHECK(t.rfind("data/clean.csv@v1  " + s.clean.uid.substr(0, 8) + "\n", 0) == 0);
        CHECK(contains(t, "└── ◀ run " + s.run.uid.substr(0, 8) + "  clean.sh [script] succeeded"));
        CHECK(contains(t, "    ├── data/raw \"q\".csv@v1"));
        CHECK(contains(t, "    └── † " + s.gone.uid + "  deleted 2026-11-24"));
        CHECK_FALSE(contains(t, "secret/name.csv"));
    }

    TEST_CASE("text: both directions get two branches; depth limit is shown") {
        Small s;
        const std::string t = render_text(query_graph(s.f.catalog(), s.raw.id, Direction::both, 0));
        CHECK(contains(t, "├── derived from\n"));
        CHECK(contains(t, "└── used by\n"));
        CHECK(contains(t, "▶ run"));
        const std::string limited = render_text(query_graph(s.f.catalog(), s.clean.id, Direction::up, 0));
        CHECK(contains(limited, "◀ run"));
    }

    TEST_CASE("dot: nodes, edges in data-flow direction, escaped labels") {
        Small s;
        const std::string d = render_dot(s.up());
        CHECK(d.rfind("digraph lineage {", 0) == 0);
        CHECK(contains(d, "\"a_" + s.raw.uid + "\" -> \"r_" + s.run.uid + "\";"));
        CHECK(contains(d, "\"r_" + s.run.uid + "\" -> \"a_" + s.clean.uid + "\";"));
        CHECK(contains(d, "data/raw \\\"q\\\".csv@v1"));
        CHECK_FALSE(contains(d, "secret/name.csv"));
        CHECK(d.back() == '\n');
    }

    TEST_CASE("mermaid: flowchart with escaped labels and classes") {
        Small s;
        const std::string m = render_mermaid(s.up());
        CHECK(m.rfind("flowchart LR\n", 0) == 0);
        CHECK(contains(m, "  a_" + s.raw.uid + " --> r_" + s.run.uid + "\n"));
        CHECK(contains(m, "#quot;q#quot;"));
        CHECK(contains(m, "<br/>"));
        CHECK(contains(m, "class a_" + s.gone.uid + " tombstone"));
        CHECK(contains(m, "class a_" + s.clean.uid + " root"));
    }

    TEST_CASE("json: the streamed text is what nlohmann prints for the same document") {
        Small s;
        StartOptions o;
        o.transform = {"train.py", "script", std::nullopt, ""};
        o.params = {"lr=0.1", "note=caf\xc3\xa9 \"x\"\n"};
        const RunRow open = start_run(s.f.catalog(), s.f.actor(), o); // unfinished: nulls
        s.f.load(open, s.clean);
        s.f.artifact("model.bin", &open);
        const Graph g = query_graph(s.f.catalog(), s.clean.id, Direction::both, 0);
        const std::string text = render(g, Format::json);
        // Parsing and dumping again sorts keys and re-indents: no change means
        // the writer kept nlohmann's key order and layout.
        CHECK(text ==
              render_json(g).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
        const auto j = render_json(g);
        CHECK(j["nodes"].size() == 6);
        CHECK(j["edges"].size() == 5);
        bool run_seen = false;
        for (const auto& n : j["nodes"])
            if (n["id"] == "run:" + open.uid) {
                run_seen = true;
                CHECK(n["type"] == "run");
                CHECK(n["params"]["note"] == "caf\xc3\xa9 \"x\"\n");
                CHECK(n["finished_at"].is_null());
                CHECK(n["exit_status"].is_null());
                CHECK(n["transform"]["source_hash"].is_null());
            }
        CHECK(run_seen);
    }

    TEST_CASE("run_json: one run, without the graph node's id and type") {
        Small s;
        const auto j = run_json(*find_run(s.f.catalog(), s.run.uid));
        CHECK(j["uid"] == s.run.uid);
        CHECK(j["status"] == "succeeded");
        CHECK(j["exit_status"] == 0);
        CHECK(j["transform"]["key"] == "clean.sh");
        CHECK(j["params"].is_object());
        CHECK_FALSE(j.contains("id"));
        CHECK_FALSE(j.contains("type"));
    }

    TEST_CASE("json: nodes and edges for tools") {
        Small s;
        const auto j = render_json(s.up());
        CHECK(j["root"] == s.clean.uid);
        CHECK(j["direction"] == "up");
        CHECK(j["nodes"].size() == 4);
        CHECK(j["edges"].size() == 3);
        bool tombstone_seen = false;
        for (const auto& n : j["nodes"])
            if (n["uid"] == s.gone.uid) {
                tombstone_seen = true;
                CHECK(n["tombstone"] == true);
                CHECK_FALSE(n.contains("key"));
                CHECK(n["deleted_at"] == "2026-11-24T16:39:32.123Z");
            }
        CHECK(tombstone_seen);
        CHECK(j["edges"][0].contains("from"));
    }
}
