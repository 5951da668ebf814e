#include "core/lineage/link.hpp"

#include "core/lineage/graph.hpp"
#include "core/lineage/test_support.hpp"
#include "core/util/error.hpp"

#include <doctest/doctest.h>

using namespace cairn;
using namespace cairn::lineage;

namespace {

ErrorKind kind_of(const std::function<void()>& body) {
    try {
        body();
    } catch (const Error& e) {
        return e.kind();
    }
    return ErrorKind::internal;
}

} // namespace

TEST_SUITE("core::lineage::link") {
    TEST_CASE("record_output: --from without a run makes a finished manual run") {
        testing::Fixture f;
        auto raw = f.artifact("raw.csv");
        auto clean = f.derive("clean.csv", {"raw.csv"});
        auto row = catalog::find_by_uid(f.catalog(), clean.uid);
        REQUIRE(row->run_id);
        auto run = find_run(f.catalog(), *row->run_id);
        CHECK(run->transform.kind == "manual");
        CHECK(run->finished_at);
        CHECK(run_inputs(f.catalog(), run->id).at(0).uid == raw.uid);
    }

    TEST_CASE("record_output: an artifact can't be derived from itself or its descendants") {
        testing::Fixture f;
        auto raw = f.artifact("raw.csv");
        auto clean = f.derive("clean.csv", {"raw.csv"});
        // Same content as raw saved again with --from clean: raw would be derived from its child.
        auto plan = plan_output(f.catalog(), {"clean.csv"}, "");
        catalog::ArtifactRow existing = *catalog::find_by_uid(f.catalog(), raw.uid);
        CHECK(kind_of([&] { f.catalog().write_transaction([&] { record_output(f.catalog(), f.actor(), plan, existing); }); }) ==
              ErrorKind::usage);
        // And from itself.
        auto self = plan_output(f.catalog(), {"raw.csv"}, "");
        CHECK(kind_of([&] { f.catalog().write_transaction([&] { record_output(f.catalog(), f.actor(), self, existing); }); }) ==
              ErrorKind::usage);
        // Nothing was recorded by the refused attempts.
        CHECK_FALSE(catalog::find_by_uid(f.catalog(), raw.uid)->run_id);
        CHECK(query_graph(f.catalog(), raw.id, Direction::down, 0).artifacts.size() == 2);
        (void)clean;
    }

    TEST_CASE("plan_output: an output of the run can't be its input") {
        testing::Fixture f;
        auto run = f.start();
        f.artifact("out.csv", &run);
        CHECK(kind_of([&] { plan_output(f.catalog(), {"out.csv"}, run.uid); }) == ErrorKind::usage);
    }

    TEST_CASE("open_run: unknown is not_found, finished is a conflict") {
        testing::Fixture f;
        CHECK_FALSE(open_run(f.catalog(), ""));
        CHECK(kind_of([&] { open_run(f.catalog(), "0000000000000000"); }) == ErrorKind::not_found);
        auto run = f.start();
        CHECK(open_run(f.catalog(), run.uid)->uid == run.uid);
        finish_run(f.catalog(), f.actor(), run.uid, 0);
        CHECK(kind_of([&] { open_run(f.catalog(), run.uid); }) == ErrorKind::conflict);
        CHECK(kind_of([&] { plan_output(f.catalog(), {}, run.uid); }) == ErrorKind::conflict);
    }

    TEST_CASE("record_input: reading back the run's own output records nothing") {
        testing::Fixture f;
        auto run = f.start();
        auto in = f.artifact("in.csv");
        auto out = f.artifact("out.csv", &run);
        f.catalog().write_transaction([&] {
            CHECK(record_input(f.catalog(), run, in));
            CHECK_FALSE(record_input(f.catalog(), run, out));
            CHECK(record_input(f.catalog(), run, in)); // idempotent
        });
        CHECK(run_inputs(f.catalog(), run.id).size() == 1);
    }

    TEST_CASE("record_output: same content from another run keeps its first producer") {
        testing::Fixture f;
        auto r1 = f.start();
        auto out = f.artifact("out.csv", &r1);
        auto r2 = f.start();
        auto plan = plan_output(f.catalog(), {}, r2.uid);
        OutputLink link;
        f.catalog().write_transaction([&] { link = record_output(f.catalog(), f.actor(), plan, out); });
        CHECK(link.kept_existing_run);
        CHECK(link.run_uid == r1.uid);
        CHECK(*catalog::find_by_uid(f.catalog(), out.uid)->run_id == r1.id);
    }
}
