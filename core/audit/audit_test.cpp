#include "core/audit/prune.hpp"
#include "core/audit/query.hpp"
#include "core/audit/test_support.hpp"
#include "core/audit/verify.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

#include <doctest/doctest.h>
#include <sstream>

using namespace cairn;
using namespace cairn::audit;
using cairn::audit::testing::AuditFixture;

TEST_SUITE("core::audit::append") {
    TEST_CASE("append: every field is stored and seq is contiguous") {
        AuditFixture f;
        f.add(3);
        record(*f.catalog, f.actor, {"load", {"abc"}, "denied", 6, {{"why", "role"}}});
        auto events = list_events(*f.catalog, {});
        REQUIRE(events.size() == 4);
        const auto& e = events.back();
        CHECK(e.seq == 4);
        CHECK(e.actor == "alice");
        CHECK(e.os_user == "alice");
        CHECK(e.os_uid == 1000);
        CHECK(e.host == "host1");
        CHECK(e.pid == 42);
        CHECK(e.command_line == "cairn ls");
        CHECK(e.action == "load");
        CHECK(e.targets == nlohmann::json::array({"abc"}));
        CHECK(e.result == "denied");
        CHECK(e.error_code == 6);
        CHECK(e.details["why"] == "role");
        CHECK(e.chain_hex.size() == 64);
        CHECK(e.time_ms > 0);
        CHECK(verify(*f.catalog).ok());
    }

    TEST_CASE("append: a rolled-back transaction leaves no event and no hole") {
        AuditFixture f;
        f.add(2);
        CHECK_THROWS(f.catalog->write_transaction([&] {
            append(*f.catalog, f.actor, {"save", {}, "ok", std::nullopt, {}});
            throw Error(ErrorKind::storage, "upload failed");
        }));
        f.add(1);
        auto r = verify(*f.catalog);
        CHECK(r.ok());
        CHECK(r.last_seq == 3);
    }

    TEST_CASE("append: outside a transaction it takes its own lock") {
        AuditFixture f;
        append(*f.catalog, f.actor, {"ls", {}, "ok", std::nullopt, {}});
        CHECK(verify(*f.catalog).events == 1);
    }

    TEST_CASE("append: an unknown result is refused") {
        AuditFixture f;
        CHECK_THROWS_AS(record(*f.catalog, f.actor, {"ls", {}, "maybe", std::nullopt, {}}), Error);
    }

    TEST_CASE("append: a bare catalog gets audit keys with its first event") {
        auto dir = std::filesystem::temp_directory_path() / ("cairn-audit-bare-" + random_hex(6));
        std::filesystem::create_directories(dir);
        {
            auto catalog = catalog::testing::open_test_catalog(dir);
            record(*catalog, {"a", "a", 1, "h", 1, "x"}, {"init", {}, "ok", std::nullopt, {}});
            CHECK(audit_keys_exist(dir));
            CHECK(verify(*catalog).ok());
        }
        std::filesystem::remove_all(dir);
    }
}

TEST_SUITE("core::audit::query") {
    TEST_CASE("query: filters by action, artifact, actor, result, time and limit") {
        AuditFixture f;
        f.add(3, "save");
        f.add(2, "purge.run");
        record(*f.catalog, {"bob", "bob", 1001, "h", 7, "cairn load x"}, {"load", {"uid1"}, "error", 3, {}});
        CHECK(list_events(*f.catalog, {.action = "save"}).size() == 3);
        CHECK(list_events(*f.catalog, {.action = "purge"}).size() == 2);
        CHECK(list_events(*f.catalog, {.action = "purge.run"}).size() == 2);
        CHECK(list_events(*f.catalog, {.action = "pur"}).empty());
        CHECK(list_events(*f.catalog, {.actor = "bob"}).size() == 1);
        CHECK(list_events(*f.catalog, {.artifact = "uid1"}).size() == 3);
        CHECK(list_events(*f.catalog, {.artifact = "uid%"}).empty());
        CHECK(list_events(*f.catalog, {.result = "error"}).size() == 1);
        CHECK_THROWS_AS(list_events(*f.catalog, {.result = "bad"}), Error);
        auto last2 = list_events(*f.catalog, {.limit = 2});
        REQUIRE(last2.size() == 2);
        CHECK(last2[0].seq == 5);
        CHECK(last2[1].seq == 6);
        CHECK(list_events(*f.catalog, {.since_ms = now_ms() + 60'000}).empty());
        CHECK(list_events(*f.catalog, {.until_ms = now_ms() + 60'000}).size() == 6);
    }

    TEST_CASE("export: JSON Lines, one event per line with seq and chain") {
        AuditFixture f;
        f.add(4);
        std::stringstream out;
        CHECK(export_jsonl(*f.catalog, {}, out) == 4);
        std::string line;
        int n = 0;
        while (std::getline(out, line)) {
            auto j = nlohmann::json::parse(line);
            CHECK(j["seq"] == ++n);
            CHECK(j["chain"].get<std::string>().size() == 64);
        }
        CHECK(n == 4);
    }
}

TEST_SUITE("core::audit::prune") {
    TEST_CASE("prune: refuses anything younger than 12 months") {
        AuditFixture f;
        f.add(3);
        const int64_t now = now_ms();
        CHECK_THROWS_AS(prune(*f.catalog, f.actor, now - 364 * k_ms_per_day, now), Error);
        try {
            prune(*f.catalog, f.actor, now, now);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::usage);
        }
        CHECK(list_events(*f.catalog, {}).size() == 3);
    }

    TEST_CASE("prune: old events go, the chain still verifies from the anchor") {
        // Pretend events 1..6 are two years old. Back-dating them breaks their
        // MACs, which is fine here: they are the ones pruned, and verification
        // starts after the anchor.
        AuditFixture g;
        g.add(6);
        g.age(800, "1=1");
        g.add(4);
        const int64_t now = now_ms();
        auto res = prune(*g.catalog, g.actor, now - 400 * k_ms_per_day, now);
        CHECK(res.pruned == 6);
        CHECK(res.anchor_seq == 6);
        auto r = verify(*g.catalog);
        CHECK(r.ok());
        CHECK(r.anchor_seq == 6);
        CHECK(r.first_seq == 7);
        CHECK(r.last_seq == 11); // 4 new events and the prune's own
        CHECK(list_events(*g.catalog, {.action = "audit.prune"}).size() == 1);

        // Deleting right after the anchor shows as a gap; a forged anchor fails.
        g.sql("DELETE FROM audit_event WHERE seq = 7");
        CHECK(verify(*g.catalog).bad_seq == 7);
        g.sql("UPDATE audit_anchor SET seq = 7");
        CHECK(verify(*g.catalog).problem == Problem::bad_anchor);
    }

    TEST_CASE("prune: a checkpoint from before the prune still checks") {
        AuditFixture f;
        f.add(6);
        f.age(800, "1=1");
        Checkpoint old_cp = make_checkpoint(*f.catalog);
        f.add(2);
        const int64_t now = now_ms();
        prune(*f.catalog, f.actor, now - 400 * k_ms_per_day, now);
        auto r = verify(*f.catalog, &old_cp);
        CHECK(r.ok());
        CHECK(r.checkpoint_checked);
    }

    TEST_CASE("prune: nothing old enough prunes nothing but is still recorded") {
        AuditFixture f;
        f.add(3);
        const int64_t now = now_ms();
        auto res = prune(*f.catalog, f.actor, now - 400 * k_ms_per_day, now);
        CHECK(res.pruned == 0);
        auto r = verify(*f.catalog);
        CHECK(r.ok());
        CHECK(r.events == 4);
    }
}
