#include "core/purge/names.hpp"

#include "core/audit/test_support.hpp"
#include "core/instance/actor.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>

using namespace cairn;
using namespace cairn::purge;
using cairn::audit::testing::AuditFixture;

namespace {

void add_run(AuditFixture& f, int64_t id, const std::vector<std::string>& argv, const std::string& params) {
    sql::Statement q(f.catalog->sql(), "INSERT INTO run (id, uid, transform_id, started_at, params, command_line)"
                                         " VALUES (?, ?, 1, 0, ?, ?)");
    q.bind(1, id);
    q.bind(2, "run" + std::to_string(id));
    q.bind(3, params);
    q.bind(4, redact_command_line(argv));
    q.exec();
}

std::string run_text(AuditFixture& f, int64_t id) {
    sql::Statement q(f.catalog->sql(), "SELECT command_line || ' ' || params FROM run WHERE id = ?");
    q.bind(1, id);
    REQUIRE(q.executeStep());
    return q.getColumn(0).getString();
}

} // namespace

TEST_SUITE("core::purge::names") {
    TEST_CASE("NameEraser: a key leaves runs and events with its last version, labelled with the uid") {
        AuditFixture f;
        f.sql("INSERT INTO transform (id, uid, key, kind, created_at) VALUES (1, 't1', 'cat', 'command', 0)");
        // Two versions of the name; the second is shredded in a later batch.
        f.sql("INSERT INTO artifact (uid, key, version, kind, size, created_at) VALUES"
              " ('uid-v1', 'p/jane.csv', 1, 'file', 1, 0), ('uid-v2', 'p/jane.csv', 2, 'file', 1, 0),"
              " ('uid-n', 'p/jane.csv.bak', 1, 'file', 1, 0)");
        add_run(f, 1, {"sh", "-c", "cat p/jane.csv@v1 p/jane.csv.bak"}, R"({"in":"p/jane.csv","n":"p/jane.csv.bak"})");
        add_run(f, 2, {"cat", "p/jane.csv.bak"}, "{}");
        Actor a = f.actor;
        a.command_line = "cairn ls p/jane.csv";
        audit::record(*f.catalog, a, {"ls", {}, "ok", std::nullopt, {{"prefix", "p/jane.csv"}}});

        NameEraser eraser(audit::NameSet{"p/jane.csv"});
        eraser.prepare(*f.catalog);
        NameEraser::Erased e;
        f.catalog->write_transaction([&] {
            f.sql("UPDATE artifact SET key = NULL WHERE uid = 'uid-v1'");
            e = eraser.erase(*f.catalog, {{"p/jane.csv", 1, "uid-v1"}}, 5);
        });
        CHECK(e.events == 0); // version 2 still holds the name
        CHECK(e.runs == 0);
        f.catalog->write_transaction([&] {
            f.sql("UPDATE artifact SET key = NULL WHERE uid = 'uid-v2'");
            e = eraser.erase(*f.catalog, {{"p/jane.csv", 2, "uid-v2"}}, 6);
        });
        // `ls p/jane.csv` spells the name itself (that the neighbour's key
        // starts with it does not matter: the word is the name).
        CHECK(e.events == 1);
        CHECK(e.runs == 1);
        // The neighbour's name stays. The label is the uid of the version the
        // word names when this batch erased it, else of the newest one it erased.
        CHECK(run_text(f, 1) == "sh -c 'cat [purged uid-v2] p/jane.csv.bak' "
                                R"({"in":"[purged uid-v2]","n":"p/jane.csv.bak"})");
        CHECK(run_text(f, 2) == "cat p/jane.csv.bak {}");
    }

    TEST_CASE("NameEraser: measure a purge of 10,000 names over 1,000,000 events" * doctest::skip()) {
        AuditFixture f;
        constexpr int k_events = 1'000'000, k_names = 10'000;
        f.catalog->write_transaction([&] {
            sql::Statement ins(f.catalog->sql(),
                "INSERT INTO audit_event (seq, time_ms, actor, os_user, os_uid, host, pid, command_line, action, targets,"
                " result, details, chain, command_line_digest, details_digest) VALUES (?, 0, 'a', 'a', 0, 'h', 1, ?, ?,"
                " '[]', 'ok', ?, zeroblob(32), zeroblob(32), zeroblob(32))");
            for (int i = 1; i <= k_events; ++i) {
                // Every 20th event spells a name that will go; the rest others.
                const int k = (i % 20 == 0) ? (i / 20) % k_names : k_names + i;
                ins.bind(1, i);
                ins.bind(2, "/usr/bin/cairn load data/subject-" + std::to_string(k) + ".csv@v1 -o /tmp/out --json");
                ins.bind(3, i % 7 == 0 ? "ls" : "load");
                ins.bind(4, R"({"output":"file","run":"","size":1234,"version":1,"prefix":"data/subject-)" +
                                std::to_string(k) + R"("})");
                ins.exec();
                ins.reset();
            }
        });
        audit::NameSet names;
        for (int k = 0; k < k_names; ++k) names.insert("data/subject-" + std::to_string(k) + ".csv");
        const auto t0 = std::chrono::steady_clock::now();
        NameEraser eraser(std::move(names));
        eraser.prepare(*f.catalog);
        const auto t1 = std::chrono::steady_clock::now();
        int64_t redacted = 0;
        for (int b = 0; b < k_names / 1000; ++b) {
            std::vector<ShreddedName> batch;
            for (int k = b * 1000; k < (b + 1) * 1000; ++k)
                batch.push_back({"data/subject-" + std::to_string(k) + ".csv", 1, "uid" + std::to_string(k)});
            f.catalog->write_transaction([&] { redacted += eraser.erase(*f.catalog, batch, 1).events; });
        }
        const auto t2 = std::chrono::steady_clock::now();
        auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
        std::printf("scan of %lld events: %lld ms; 10 batches of 1,000 names: %lld ms; %lld events redacted\n",
                    static_cast<long long>(eraser.events_read()), static_cast<long long>(ms(t1 - t0)),
                    static_cast<long long>(ms(t2 - t1)), static_cast<long long>(redacted));
        CHECK(redacted == k_events / 20);
    }
}
