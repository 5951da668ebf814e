#include "core/audit/host_head.hpp"
#include "core/audit/published.hpp"
#include "core/audit/redactions.hpp"
#include "core/audit/test_support.hpp"
#include "core/storage/local/local_backend.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/time.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>

using namespace cairn;
using namespace cairn::audit;
using cairn::audit::testing::AuditFixture;

namespace {

namespace stdfs = std::filesystem;

// XDG_STATE_HOME in the fixture's own folder for the test's duration.
struct StateHome {
    stdfs::path dir;
    std::string saved;
    bool had = false;
    explicit StateHome(const stdfs::path& d) : dir(d) {
        if (const char* old = std::getenv("XDG_STATE_HOME")) {
            had = true;
            saved = old;
        }
        ::setenv("XDG_STATE_HOME", dir.c_str(), 1);
    }
    ~StateHome() {
        if (had)
            ::setenv("XDG_STATE_HOME", saved.c_str(), 1);
        else
            ::unsetenv("XDG_STATE_HOME");
    }
    StateHome(const StateHome&) = delete;
    StateHome& operator=(const StateHome&) = delete;
};

} // namespace

TEST_SUITE("core::audit::anchors") {
    TEST_CASE("host head: recorded outside, checked, never moved back") {
        AuditFixture f;
        const StateHome state(f.dir / "state");
        f.add(5);
        CHECK(check_host_head(*f.catalog, f.dir).ok()); // nothing recorded yet
        record_host_head(*f.catalog, f.dir);
        const auto file = head_file_for(f.dir);
        REQUIRE(file);
        CHECK((stdfs::status(*file).permissions() & stdfs::perms::all) ==
              (stdfs::perms::owner_read | stdfs::perms::owner_write));
        CHECK((stdfs::status(file->parent_path()).permissions() & stdfs::perms::all) ==
              stdfs::perms::owner_all);
        HeadCheck c = check_host_head(*f.catalog, f.dir);
        CHECK(c.ok());
        REQUIRE(c.recorded);
        CHECK(c.recorded->seq == 5);

        f.add(2);
        record_host_head(*f.catalog, f.dir, 7); // nothing appended since seq 7: unchanged
        CHECK(read_host_head(f.dir)->seq == 5);
        record_host_head(*f.catalog, f.dir);
        CHECK(read_host_head(f.dir)->seq == 7);

        SUBCASE("a truncated tail") {
            f.sql("DELETE FROM audit_event WHERE seq > 5");
            c = check_host_head(*f.catalog, f.dir);
            CHECK(c.problem == Problem::truncated);
            CHECK(c.found_seq == 5);
            CHECK_THROWS_AS(require_host_head(c), Error);
            record_host_head(*f.catalog, f.dir); // a lower head never replaces a higher one
            CHECK(read_host_head(f.dir)->seq == 7);
        }
        SUBCASE("a rewritten head event") {
            f.sql("UPDATE audit_event SET chain = ? WHERE seq = 7", std::vector<std::byte>(32));
            CHECK(check_host_head(*f.catalog, f.dir).problem == Problem::head_mismatch);
        }
        SUBCASE("a deleted event at the recorded seq") {
            f.add(1);
            f.sql("DELETE FROM audit_event WHERE seq = 7");
            CHECK(check_host_head(*f.catalog, f.dir).problem == Problem::deleted);
        }
        SUBCASE("another instance in its place") {
            f.sql("UPDATE instance_info SET value = 'inst-other' WHERE name = 'instance_id'");
            CHECK(check_host_head(*f.catalog, f.dir).problem == Problem::instance_replaced);
        }
        SUBCASE("replaced audit keys") {
            AuditFixture other;
            stdfs::copy_file(other.dir / "audit-sign.pub", f.dir / "audit-sign.pub",
                             stdfs::copy_options::overwrite_existing);
            CHECK(check_host_head(*f.catalog, f.dir).problem == Problem::keys_replaced);
        }
        SUBCASE("a malformed head file is refused") {
            fs::write_file_atomic(*file, "{\"format\": \"something else\"}", stdfs::perms::owner_read | stdfs::perms::owner_write);
            try {
                check_host_head(*f.catalog, f.dir);
                FAIL("a malformed head file was accepted");
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::integrity);
                CHECK(std::string(e.what()).find("malformed") != std::string::npos);
            }
        }
        SUBCASE("a sequence number that is not a whole int64 is refused") {
            auto j = nlohmann::json::parse(fs::read_file(*file));
            j["seq"] = 1e300;
            fs::write_file_atomic(*file, j.dump(), stdfs::perms::owner_read | stdfs::perms::owner_write);
            CHECK_THROWS_WITH_AS(check_host_head(*f.catalog, f.dir), doctest::Contains("whole number"), Error);
        }
        SUBCASE("removed on purpose") {
            CHECK(remove_host_head(f.dir));
            CHECK_FALSE(read_host_head(f.dir));
            CHECK(check_host_head(*f.catalog, f.dir).ok());
        }
    }

    TEST_CASE("redactions: each must be accounted for by a purge.shred") {
        AuditFixture f;
        f.add(4);
        VerifyReport r;
        check_redactions(*f.catalog, r);
        CHECK(r.ok());
        f.sql("UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 77 WHERE "
              "seq IN (2, 3)");
        check_redactions(*f.catalog, r);
        CHECK(r.problem == Problem::unmatched_redaction);
        CHECK(r.bad_seq == 2);

        SUBCASE("a shred that recorded the value and count") {
            f.catalog->write_transaction([&] {
                append(*f.catalog, f.actor,
                       {"purge.shred",
                        {"uid9"},
                        "ok",
                        std::nullopt,
                        {{"audit_events_redacted", 2}, {"redacted_at", 77}}});
            });
            VerifyReport ok;
            check_redactions(*f.catalog, ok);
            CHECK(ok.ok());
            // One more event with that value than the shred redacted.
            f.sql("UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 77 "
                  "WHERE seq = 4");
            VerifyReport over;
            check_redactions(*f.catalog, over);
            CHECK(over.problem == Problem::unmatched_redaction);
        }
        SUBCASE("a shred written before redacted_at existed covers its targets") {
            // Fixture events target "uid<i>": seq 2 targets uid1, seq 3 uid2.
            f.catalog->write_transaction([&] {
                append(*f.catalog, f.actor,
                       {"purge.shred", {"uid1", "uid2"}, "ok", std::nullopt, {{"count", 2}}});
            });
            VerifyReport ok;
            check_redactions(*f.catalog, ok);
            CHECK(ok.ok());
        }
        SUBCASE("a shred before the event covers nothing") {
            f.sql("UPDATE audit_event SET redacted_at = NULL, command_line = 'x', details = '{}' "
                  "WHERE seq IN (2, 3)");
            f.catalog->write_transaction([&] {
                append(*f.catalog, f.actor,
                       {"purge.shred",
                        {"uid1"},
                        "ok",
                        std::nullopt,
                        {{"audit_events_redacted", 1}, {"redacted_at", 88}}});
            });
            f.add(1);
            f.sql("UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 88 "
                  "WHERE seq = 6");
            VerifyReport late;
            check_redactions(*f.catalog, late);
            CHECK(late.problem == Problem::unmatched_redaction);
            CHECK(late.bad_seq == 6);
        }
    }

    TEST_CASE("published checkpoints: written once, read back and checked") {
        AuditFixture f;
        f.add(3);
        auto store = storage::open_local_backend(f.dir / "store");
        const std::vector<AnchorLocation> locations{{"store", store.get(), false}};
        CHECK(publish_due(*f.catalog, 0)); // never published
        const PublishOutcome out = publish_checkpoint(*f.catalog, locations);
        CHECK(out.failures.empty());
        CHECK(out.published == std::vector<std::string>{"store"});
        CHECK(out.count == 3);
        CHECK(out.name.rfind("audit/checkpoints/00000000000000000003-", 0) == 0);
        CHECK(stdfs::exists(f.dir / "store" / out.name));
        CHECK_FALSE(publish_due(*f.catalog, now_ms()));

        f.add(2);
        VerifyReport r = verify(*f.catalog);
        PublishedSummary s = check_published(*f.catalog, locations, r);
        CHECK(r.ok());
        CHECK(s.checked == 1);
        CHECK(s.newest_count == 3);

        SUBCASE("a trail cut below the checkpoint") {
            f.sql("DELETE FROM audit_event WHERE seq > 2");
            VerifyReport cut = verify(*f.catalog);
            REQUIRE(cut.ok());
            check_published(*f.catalog, locations, cut);
            CHECK(cut.problem == Problem::truncated);
        }
        SUBCASE("a rewritten event at the checkpoint's count") {
            f.sql("UPDATE audit_event SET chain = ? WHERE seq = 3", std::vector<std::byte>(32));
            VerifyReport rewritten = r;
            check_published(*f.catalog, locations, rewritten);
            CHECK(rewritten.problem == Problem::head_mismatch);
        }
        SUBCASE("another key signed it") {
            AuditFixture other;
            stdfs::copy_file(other.dir / "audit-sign.pub", f.dir / "audit-sign.pub",
                             stdfs::copy_options::overwrite_existing);
            VerifyReport rekeyed = r;
            check_published(*f.catalog, locations, rekeyed);
            CHECK(rekeyed.problem == Problem::keys_replaced);
        }
    }
}

TEST_SUITE("core::audit::anchors") {
    // Run by hand: cairn_tests -tc="measure: host head check" --no-skip
    TEST_CASE("measure: host head check" * doctest::skip()) {
        AuditFixture f;
        const StateHome state(f.dir / "state");
        f.add(100'000);
        record_host_head(*f.catalog, f.dir);
        const int runs = 1000;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < runs; ++i)
            REQUIRE(check_host_head(*f.catalog, f.dir).ok());
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        MESSAGE("check_host_head on 100,000 events: " << double(us) / runs << " us per call");
        const auto start_rec = std::chrono::steady_clock::now();
        for (int i = 0; i < 100; ++i) {
            f.add(1);
            record_host_head(*f.catalog, f.dir);
        }
        const auto us_rec = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - start_rec)
                                .count();
        MESSAGE("append one event + record_host_head: " << double(us_rec) / 100 << " us per call");
    }
}
