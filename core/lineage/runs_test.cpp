#include "core/lineage/runs.hpp"

#include "core/lineage/test_support.hpp"
#include "core/util/error.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace cairn;
using namespace cairn::lineage;

TEST_SUITE("core::lineage::runs") {
    TEST_CASE("finish_run: finishing twice is a conflict, unknown is not_found") {
        testing::Fixture f;
        auto run = f.start();
        CHECK(run.status == RunStatus::running);
        auto done = finish_run(f.catalog(), f.actor(), run.uid, 3);
        CHECK(done.status == RunStatus::failed);
        CHECK(find_run(f.catalog(), run.uid)->exit_status == 3);
        try {
            finish_run(f.catalog(), f.actor(), run.uid, 0);
            FAIL("no conflict");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::conflict);
            CHECK(std::string(e.what()).find("already finished") != std::string::npos);
        }
        CHECK_THROWS_AS(finish_run(f.catalog(), f.actor(), "nosuchrun0000000", 0), Error);
    }

    TEST_CASE("run_status: an open run whose process died on this host is unfinished") {
        testing::Fixture f;
        const pid_t child = ::fork();
        if (child == 0) ::_exit(0);
        ::waitpid(child, nullptr, 0);
        Actor actor = f.actor();
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        actor.host = host;
        StartOptions o;
        o.transform = {"job", "command", std::nullopt, ""};
        o.pid = child;
        auto dead = start_run(f.catalog(), actor, o);
        CHECK(find_run(f.catalog(), dead.uid)->status == RunStatus::unfinished);
        o.pid = ::getpid();
        auto alive = start_run(f.catalog(), actor, o);
        CHECK(find_run(f.catalog(), alive.uid)->status == RunStatus::running);
        // On another host we can't tell: running.
        RunRow elsewhere = *find_run(f.catalog(), dead.uid);
        CHECK(run_status(elsewhere, "other-host") == RunStatus::running);
    }

    TEST_CASE("parse_params: NAME=VALUE, secrets redacted, bad input refused") {
        auto p = parse_params({"rows=10", "api_token=abc", "expr=a=b"});
        CHECK(p["rows"] == "10");
        CHECK(p["api_token"] == "***");
        CHECK(p["expr"] == "a=b");
        CHECK_THROWS_AS(parse_params({"novalue"}), Error);
        CHECK_THROWS_AS(parse_params({"=x"}), Error);
        CHECK_THROWS_AS(parse_params({"a=1", "a=2"}), Error);
    }

    TEST_CASE("list_runs: most recent first, filtered by transform prefix") {
        testing::Fixture f;
        f.start("etl/a.sh");
        f.start("etl/b.sh");
        f.start("train.py");
        CHECK(list_runs(f.catalog(), {"", 50}).size() == 3);
        auto etl = list_runs(f.catalog(), {"etl/", 50});
        REQUIRE(etl.size() == 2);
        CHECK(etl[0].transform.key == "etl/b.sh");
        CHECK(list_runs(f.catalog(), {"", 1}).size() == 1);
    }

    TEST_CASE("transforms: files are hashed and keyed relative to the project; edits make new transforms") {
        testing::Fixture f;
        const auto script = f.dir() / "clean.py";
        std::ofstream(script) << "print(1)\n";
        auto spec = describe_transform(script.string(), "", f.dir());
        CHECK(spec.key == "clean.py");
        CHECK(spec.kind == "script");
        REQUIRE(spec.source_hash);
        CHECK(spec.source_hash->size() == 64);
        TransformRow a, b, c;
        f.catalog().write_transaction([&] {
            a = ensure_transform(f.catalog(), spec);
            b = ensure_transform(f.catalog(), spec);
        });
        CHECK(a.id == b.id);
        std::ofstream(script) << "print(2)\n";
        f.catalog().write_transaction([&] { c = ensure_transform(f.catalog(), describe_transform(script.string(), "", f.dir())); });
        CHECK(c.id != a.id);
        auto named = describe_transform("nightly", "pipeline", f.dir());
        CHECK(named.kind == "pipeline");
        CHECK_FALSE(named.source_hash);
        CHECK_THROWS_AS(describe_transform("x", "bogus", f.dir()), Error);
        auto cmd = describe_command({"python3", "-u", script.string()}, f.dir());
        CHECK(cmd.key == "clean.py");
        CHECK(describe_command({"make", "all"}, f.dir()).kind == "command");
    }
}
