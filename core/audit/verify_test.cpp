#include "core/audit/checkpoint.hpp"
#include "core/audit/prune.hpp"
#include "core/audit/test_support.hpp"
#include "core/audit/verify.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

using namespace cairn;
using namespace cairn::audit;
using cairn::audit::testing::AuditFixture;

namespace {

void swap(AuditFixture& f, int a, int b) {
    f.sql("UPDATE audit_event SET seq = -1 WHERE seq = " + std::to_string(a));
    f.sql("UPDATE audit_event SET seq = " + std::to_string(a) + " WHERE seq = " + std::to_string(b));
    f.sql("UPDATE audit_event SET seq = " + std::to_string(b) + " WHERE seq = -1");
}

// Small batches, so a log of a hundred events spans several.
constexpr size_t k_batch = 16;

// Verifies on the calling thread and with 1 to 3 workers over small
// batches; every way must give the same report, which is returned.
VerifyReport verify_all_ways(AuditFixture& f, const Checkpoint* cp = nullptr) {
    const VerifyReport one = verify(*f.catalog, cp, {.workers = 0, .batch_events = k_batch});
    for (unsigned workers : {1U, 2U, 3U}) {
        CAPTURE(workers);
        const VerifyReport r = verify(*f.catalog, cp, {.workers = workers, .batch_events = k_batch});
        CHECK(to_json(r) == to_json(one));
    }
    CHECK(to_json(verify(*f.catalog, cp)) == to_json(one)); // default batches: a single one here
    return one;
}

// Appends `n` events, then edits those at `seqs`.
void add_and_edit(AuditFixture& f, int n, std::initializer_list<int> seqs) {
    f.add(n);
    for (int s : seqs) f.sql("UPDATE audit_event SET actor = 'mallory' WHERE seq = " + std::to_string(s));
}

} // namespace

TEST_SUITE("core::audit::verify") {
    TEST_CASE("verify: an untouched chain is OK with counts") {
        AuditFixture f;
        f.add(20);
        auto r = verify(*f.catalog);
        CHECK(r.ok());
        CHECK(r.events == 20);
        CHECK(r.first_seq == 1);
        CHECK(r.last_seq == 20);
    }

    TEST_CASE("verify: an edited field is found at its seq") {
        AuditFixture f;
        f.add(10);
        f.sql("UPDATE audit_event SET actor = 'mallory' WHERE seq = 6");
        auto r = verify(*f.catalog);
        CHECK(r.problem == Problem::edited);
        CHECK(r.bad_seq == 6);
        CHECK(r.events == 5);
    }

    TEST_CASE("verify: a NULL turned into a value is detected") {
        AuditFixture f;
        f.add(5);
        f.sql("UPDATE audit_event SET error_code = 0 WHERE seq = 3");
        CHECK(verify(*f.catalog).bad_seq == 3);
    }

    TEST_CASE("verify: a deleted row is a gap at its seq") {
        AuditFixture f;
        f.add(10);
        f.sql("DELETE FROM audit_event WHERE seq = 4");
        auto r = verify(*f.catalog);
        CHECK(r.problem == Problem::deleted);
        CHECK(r.bad_seq == 4);
    }

    TEST_CASE("verify: a deleted first row is found at seq 1") {
        AuditFixture f;
        f.add(3);
        f.sql("DELETE FROM audit_event WHERE seq = 1");
        auto r = verify(*f.catalog);
        CHECK(r.problem == Problem::deleted);
        CHECK(r.bad_seq == 1);
    }

    TEST_CASE("verify: an inserted row (rest renumbered) is found at its seq") {
        AuditFixture f;
        f.add(10);
        f.sql("UPDATE audit_event SET seq = -seq WHERE seq >= 5");
        f.sql("UPDATE audit_event SET seq = 1 - seq WHERE seq < 0");
        f.sql("INSERT INTO audit_event (" + std::string(k_event_columns) + ") SELECT 5, time_ms, 'mallory', os_user, os_uid, host, pid, command_line,"
              " action, targets, result, error_code, details, chain, command_line_digest, details_digest, redacted_at,"
              " credential, seal FROM audit_event WHERE seq = 4");
        auto r = verify(*f.catalog);
        CHECK(r.problem == Problem::inserted);
        CHECK(r.bad_seq == 5);
    }

    TEST_CASE("verify: a row appended with a forged chain value is a chain mismatch") {
        AuditFixture f;
        f.add(4);
        f.sql("INSERT INTO audit_event (" + std::string(k_event_columns) + ") SELECT 5, time_ms, actor, os_user, os_uid, host, pid, command_line,"
              " action, targets, result, error_code, details, ?, command_line_digest, details_digest,"
              " redacted_at, credential, seal FROM audit_event WHERE seq = 4", f.random_bytes(32));
        auto r = verify(*f.catalog);
        CHECK(r.problem == Problem::chain_mismatch);
        CHECK(r.bad_seq == 5);
    }

    TEST_CASE("verify: swapped rows are reported as reordered at the first") {
        AuditFixture f;
        f.add(10);
        swap(f, 3, 4);
        auto r = verify(*f.catalog);
        CHECK(r.problem == Problem::reordered);
        CHECK(r.bad_seq == 3);

        AuditFixture g;
        g.add(10);
        swap(g, 2, 7);
        auto r2 = verify(*g.catalog);
        CHECK(r2.problem == Problem::reordered);
        CHECK(r2.bad_seq == 2);
    }
}

TEST_SUITE("core::audit::verify parallel") {
    TEST_CASE("verify parallel: an untouched log over several batches is OK") {
        AuditFixture f;
        f.add(100);
        const VerifyReport r = verify_all_ways(f);
        CHECK(r.ok());
        CHECK(r.events == 100);
        CHECK(r.first_seq == 1);
        CHECK(r.last_seq == 100);
    }

    TEST_CASE("verify parallel: an edit is named at its seq, at and around batch boundaries") {
        // Batches hold seqs 1..16, 17..32, ...; 100 is the last event.
        for (int s : {1, 2, 15, 16, 17, 32, 33, 64, 99}) {
            CAPTURE(s);
            AuditFixture f;
            add_and_edit(f, 100, {s});
            const VerifyReport r = verify_all_ways(f);
            CHECK(r.problem == Problem::edited);
            CHECK(r.bad_seq == s);
            CHECK(r.events == s - 1);
            CHECK(r.last_seq == (s > 1 ? s - 1 : 0));
        }
        AuditFixture f;
        add_and_edit(f, 100, {100});
        const VerifyReport r = verify_all_ways(f);
        CHECK(r.problem == Problem::chain_mismatch); // nothing follows to tell an edit
        CHECK(r.bad_seq == 100);
        CHECK(r.events == 99);
    }

    TEST_CASE("verify parallel: the first of several bad events wins, whichever batch is checked first") {
        AuditFixture f;
        add_and_edit(f, 200, {150, 90, 20});
        const VerifyReport r = verify_all_ways(f);
        CHECK(r.problem == Problem::edited);
        CHECK(r.bad_seq == 20);

        // Two in one batch.
        AuditFixture g;
        add_and_edit(g, 100, {40, 37});
        CHECK(verify_all_ways(g).bad_seq == 37);
    }

    TEST_CASE("verify parallel: text that no longer matches its digest is found on a worker") {
        AuditFixture f;
        f.add(100);
        f.sql("UPDATE audit_event SET details = '{}' WHERE seq = 33");
        f.sql("UPDATE audit_event SET command_line = 'cairn ls /secret' WHERE seq = 70");
        const VerifyReport r = verify_all_ways(f);
        CHECK(r.problem == Problem::edited);
        CHECK(r.bad_seq == 33);

        AuditFixture g;
        g.add(100);
        g.sql("UPDATE audit_event SET command_line = 'cairn ls /secret' WHERE seq = 70");
        CHECK(verify_all_ways(g).bad_seq == 70);

        // Redacted text (NULL, marked) still verifies.
        AuditFixture h;
        h.add(100);
        h.sql("UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 1 WHERE seq % 7 = 0");
        CHECK(verify_all_ways(h).ok());
    }

    TEST_CASE("verify parallel: deletions are gaps at the first missing seq") {
        for (int s : {1, 16, 17, 50, 100}) {
            CAPTURE(s);
            AuditFixture f;
            f.add(100);
            f.sql("DELETE FROM audit_event WHERE seq = " + std::to_string(s));
            const VerifyReport r = verify_all_ways(f);
            if (s == 100) { // a cut tail shows only against a checkpoint
                CHECK(r.ok());
                CHECK(r.events == 99);
                continue;
            }
            CHECK(r.problem == Problem::deleted);
            CHECK(r.bad_seq == s);
            CHECK(r.events == s - 1);
        }
        AuditFixture f;
        f.add(100);
        f.sql("DELETE FROM audit_event WHERE seq BETWEEN 30 AND 60");
        const VerifyReport r = verify_all_ways(f);
        CHECK(r.problem == Problem::deleted);
        CHECK(r.bad_seq == 30);
        CHECK(r.message.find("30..60") != std::string::npos);
    }

    TEST_CASE("verify parallel: a bad event before a gap wins over it, and a gap before one wins") {
        AuditFixture f;
        add_and_edit(f, 100, {40});
        f.sql("DELETE FROM audit_event WHERE seq = 41"); // same batch
        f.sql("DELETE FROM audit_event WHERE seq = 80");
        VerifyReport r = verify_all_ways(f);
        CHECK(r.bad_seq == 40);
        CHECK(r.problem == Problem::chain_mismatch); // its successor is gone, so no proof of an edit
        CHECK(r.events == 39);

        AuditFixture g;
        add_and_edit(g, 100, {70});
        g.sql("DELETE FROM audit_event WHERE seq = 20");
        r = verify_all_ways(g);
        CHECK(r.problem == Problem::deleted);
        CHECK(r.bad_seq == 20);
        CHECK(r.events == 19);
    }

    TEST_CASE("verify parallel: swaps and insertions across batches") {
        for (auto [a, b] : {std::pair{16, 17}, {1, 2}, {5, 60}, {99, 100}}) {
            CAPTURE(a);
            CAPTURE(b);
            AuditFixture f;
            f.add(100);
            swap(f, a, b);
            const VerifyReport r = verify_all_ways(f);
            CHECK(r.problem == Problem::reordered);
            CHECK(r.bad_seq == a);
            CHECK(r.events == a - 1);
        }
        for (int s : {17, 33, 90}) {
            CAPTURE(s);
            AuditFixture f;
            f.add(100);
            f.sql("UPDATE audit_event SET seq = -seq WHERE seq >= " + std::to_string(s));
            f.sql("UPDATE audit_event SET seq = 1 - seq WHERE seq < 0");
            f.sql("INSERT INTO audit_event (" + std::string(k_event_columns) + ") SELECT " + std::to_string(s) +
                  ", time_ms, 'mallory', os_user, os_uid, host, pid, command_line, action, targets, result,"
                  " error_code, details, chain, command_line_digest, details_digest, redacted_at, credential, seal"
                  " FROM audit_event WHERE seq = " + std::to_string(s - 1));
            const VerifyReport r = verify_all_ways(f);
            CHECK(r.problem == Problem::inserted);
            CHECK(r.bad_seq == s);
        }
    }

    TEST_CASE("verify parallel: after a prune, an event put back into the pruned range is found") {
        AuditFixture f;
        f.add(40);
        f.age(800, "true");
        f.add(60);
        const int64_t now = now_ms();
        REQUIRE(prune(*f.catalog, f.actor, now - 400 * k_ms_per_day, now).anchor_seq == 40);
        VerifyReport r = verify_all_ways(f);
        CHECK(r.ok());
        CHECK(r.first_seq == 41);
        CHECK(r.last_seq == 101);

        f.sql("UPDATE audit_event SET actor = 'mallory' WHERE seq = 57");
        r = verify_all_ways(f);
        CHECK(r.problem == Problem::edited);
        CHECK(r.bad_seq == 57);
        CHECK(r.events == 16);

        f.sql("INSERT INTO audit_event (" + std::string(k_event_columns) + ") SELECT 12, time_ms, actor, os_user, os_uid, host, pid, command_line, action,"
              " targets, result, error_code, details, chain, command_line_digest, details_digest, redacted_at,"
              " credential, seal FROM audit_event WHERE seq = 41");
        r = verify_all_ways(f);
        CHECK(r.problem == Problem::inserted);
        CHECK(r.bad_seq == 12);
        CHECK(r.events == 0);
    }

    TEST_CASE("verify parallel: the checkpoint head is taken from its position in any batch") {
        AuditFixture f;
        f.add(40);
        const Checkpoint cp = make_checkpoint(*f.catalog);
        f.add(60);
        VerifyReport r = verify_all_ways(f, &cp);
        CHECK(r.ok());
        CHECK(r.checkpoint_checked);

        // Cut back to 37 and regrown: every MAC checks, the head does not.
        f.sql("DELETE FROM audit_event WHERE seq > 37");
        f.add(63, "regrown");
        r = verify_all_ways(f, &cp);
        CHECK(r.problem == Problem::head_mismatch);
        CHECK(r.bad_seq == 40);

        f.sql("DELETE FROM audit_event WHERE seq > 35");
        r = verify_all_ways(f, &cp);
        CHECK(r.problem == Problem::truncated);
        CHECK(r.bad_seq == 36);
    }
}

TEST_SUITE("core::audit::checkpoint") {
    TEST_CASE("checkpoint: round trips through JSON and verifies") {
        AuditFixture f;
        f.add(5);
        Checkpoint cp = checkpoint_from_json(to_json(make_checkpoint(*f.catalog)));
        CHECK(cp.count == 5);
        CHECK(checkpoint_signature_ok(cp));
        auto r = verify(*f.catalog, &cp);
        CHECK(r.ok());
        CHECK(r.checkpoint_checked);
        f.add(3);
        CHECK(verify(*f.catalog, &cp).ok());
    }

    TEST_CASE("checkpoint: a truncated tail is found") {
        AuditFixture f;
        f.add(10);
        Checkpoint cp = make_checkpoint(*f.catalog);
        f.sql("DELETE FROM audit_event WHERE seq > 7");
        CHECK(verify(*f.catalog).ok()); // without a checkpoint a cut tail is invisible
        auto r = verify(*f.catalog, &cp);
        CHECK(r.problem == Problem::truncated);
        CHECK(r.bad_seq == 8);
    }

    TEST_CASE("checkpoint: a truncated and regrown tail is a head mismatch") {
        AuditFixture f;
        f.add(10);
        Checkpoint cp = make_checkpoint(*f.catalog);
        f.sql("DELETE FROM audit_event WHERE seq > 7");
        f.add(5, "regrown");
        auto r = verify(*f.catalog, &cp);
        CHECK(r.problem == Problem::head_mismatch);
        CHECK(r.bad_seq == 10);
    }

    TEST_CASE("checkpoint: a forged signature or foreign key is rejected") {
        AuditFixture f;
        f.add(4);
        Checkpoint cp = make_checkpoint(*f.catalog);
        Checkpoint forged = cp;
        forged.count = 3;
        auto r = verify(*f.catalog, &forged);
        CHECK(r.problem == Problem::bad_signature);

        forged = cp;
        forged.signature[0] ^= std::byte{1};
        CHECK(verify(*f.catalog, &forged).problem == Problem::bad_signature);

        // Validly signed, but by someone else's key.
        AuditFixture other;
        other.sql("UPDATE instance_info SET value = 'inst-test'");
        other.add(4);
        Checkpoint foreign = make_checkpoint(*other.catalog);
        CHECK(checkpoint_signature_ok(foreign));
        CHECK(verify(*f.catalog, &foreign).problem == Problem::bad_signature);

        Checkpoint wrong = cp;
        wrong.instance_id = "someone-else";
        CHECK(verify(*f.catalog, &wrong).problem == Problem::wrong_instance);
    }

    TEST_CASE("checkpoint: malformed JSON is a usage error") {
        CHECK_THROWS_AS(checkpoint_from_json(nlohmann::json::object()), Error);
        CHECK_THROWS_AS(checkpoint_from_json({{"format", "cairn-audit-checkpoint-v1"}}), Error);
    }

    TEST_CASE("checkpoint: a count or time that is not a whole int64 is refused, not cast") {
        AuditFixture f;
        f.add(1);
        const nlohmann::json good = to_json(make_checkpoint(*f.catalog));
        CHECK_NOTHROW(checkpoint_from_json(good));
        // 1e300 cast to int64_t is undefined behaviour (the fuzzer's find);
        // 2^64-1 would wrap to -1; 2.5 would be truncated.
        for (const nlohmann::json& bad : {nlohmann::json(1e300), nlohmann::json(2.5),
                                         nlohmann::json(UINT64_MAX), nlohmann::json("7")})
            for (const char* key : {"count", "time_ms"}) {
                nlohmann::json j = good;
                j[key] = bad;
                CAPTURE(j.dump());
                CHECK_THROWS_WITH_AS(checkpoint_from_json(j), doctest::Contains("whole number"), Error);
            }
    }
}

TEST_SUITE("core::audit::keys") {
    TEST_CASE("keys: private files are 0600 and never replaced") {
        AuditFixture f;
        struct stat st {};
        REQUIRE(::stat(key_paths(f.dir).mac_key.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        REQUIRE(::stat(key_paths(f.dir).signing_key.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        CHECK_THROWS_AS(create_audit_keys(f.dir), Error);
    }

    TEST_CASE("keys: a group-readable audit key is refused") {
        AuditFixture f;
        ::chmod(key_paths(f.dir).mac_key.c_str(), 0640);
        CHECK_THROWS_AS(load_mac_key(f.dir), Error);
    }

    TEST_CASE("keys: signatures verify only for the signed message") {
        AuditFixture f;
        Signer s(f.dir);
        const std::string msg = "hello";
        auto sig = s.sign(std::as_bytes(std::span(msg.data(), msg.size())));
        CHECK(verify_signature(s.public_key(), std::as_bytes(std::span(msg.data(), msg.size())), sig));
        const std::string other = "hellp";
        CHECK_FALSE(verify_signature(s.public_key(), std::as_bytes(std::span(other.data(), other.size())), sig));
        CHECK(load_public_key(f.dir) == s.public_key());
        CHECK(public_key_pem(s.public_key()).find("BEGIN PUBLIC KEY") != std::string::npos);
    }
}
