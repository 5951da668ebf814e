// The audit trail's append-only guards (schema migration 6): on PostgreSQL
// the database itself refuses every change but an insert, purge's
// redaction and audit prune's deletion of year-old events, whatever the
// login (only the owner can switch the triggers off). On SQLite the file's
// owner can change anything, and `audit verify` is what finds it.
#include "core/audit/prune.hpp"
#include "core/audit/test_support.hpp"
#include "core/audit/verify.hpp"
#include "core/catalog/testing.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace cairn;
using namespace cairn::audit;
using cairn::audit::testing::AuditFixture;
using cairn::catalog::testing::query_int;

namespace {

// Runs `sql` as any login would (triggers on) and says whether the
// database refused it as a permission error (exit 6).
bool refused(AuditFixture& f, const std::string& sql) {
    try {
        f.catalog->sql().execute(sql);
        return false;
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::permission);
        CHECK(std::string(e.what()).find("cairn:") != std::string::npos);
        return true;
    }
}

} // namespace

TEST_SUITE("core::audit::guards") {
    TEST_CASE("guards: an edit of an event is refused by the database, or found by verify") {
        AuditFixture f;
        f.add(3);
        if (f.catalog->is_sqlite()) {
            f.catalog->sql().execute("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2");
            CHECK(verify(*f.catalog).problem == Problem::edited);
            return;
        }
        for (const char* edit : {"UPDATE audit_event SET actor = 'mallory' WHERE seq = 2",
                                 "UPDATE audit_event SET seq = 9 WHERE seq = 3",
                                 "UPDATE audit_event SET stored_at = 0 WHERE seq = 2",
                                 // a redaction that also changes another column
                                 "UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 1, "
                                 "action = 'x' WHERE seq = 2",
                                 // a redaction that keeps the text
                                 "UPDATE audit_event SET redacted_at = 1 WHERE seq = 2",
                                 "DELETE FROM audit_event WHERE seq = 3", "TRUNCATE audit_event",
                                 "UPDATE audit_target SET uid = 'other' WHERE seq = 2",
                                 "DELETE FROM audit_target WHERE seq = 2", "TRUNCATE audit_target"}) {
            CAPTURE(edit);
            CHECK(refused(f, edit));
        }
        CHECK(verify(*f.catalog).ok());
        CHECK(query_int(*f.catalog, "SELECT COUNT(*) FROM audit_target") == 3);
    }

    TEST_CASE("guards: the database sets stored_at from its own clock") {
        AuditFixture f;
        if (f.catalog->is_sqlite()) {
            CHECK(query_int(*f.catalog, "SELECT COUNT(*) FROM pragma_table_info('audit_event') "
                                        "WHERE name = 'stored_at'") == 0);
            return;
        }
        f.add(1);
        const int64_t now = now_ms();
        CHECK(std::abs(query_int(*f.catalog, "SELECT stored_at FROM audit_event WHERE seq = 1") - now) < 60'000);
        // An insert that names an old stored_at (to delete it at once) gets the clock's.
        f.catalog->sql().execute(
            "INSERT INTO audit_event (seq, time_ms, actor, os_user, os_uid, host, pid, command_line, action, "
            "targets, result, details, chain, command_line_digest, details_digest, stored_at) "
            "SELECT 2, 0, actor, os_user, os_uid, host, pid, command_line, action, targets, result, details, "
            "chain, command_line_digest, details_digest, 0 FROM audit_event WHERE seq = 1");
        CHECK(std::abs(query_int(*f.catalog, "SELECT stored_at FROM audit_event WHERE seq = 2") - now) < 60'000);
        CHECK(refused(f, "DELETE FROM audit_event WHERE seq = 2"));
    }

    TEST_CASE("guards: purge's redaction is allowed once; prune deletes only what the database stored a year ago") {
        AuditFixture f;
        f.add(4);
        CHECK(redact_events_naming(*f.catalog, {"uid1"}, 5) == 1);
        CHECK(query_int(*f.catalog, "SELECT COUNT(*) FROM audit_event WHERE redacted_at IS NOT NULL") == 1);
        if (!f.catalog->is_sqlite()) {
            // Redacted once: its redacted_at is part of what purge certified.
            CHECK(refused(f, "UPDATE audit_event SET redacted_at = 6 WHERE seq = 2"));
            // Aged by time_ms alone (the client's clock) is not old enough.
            catalog::testing::execute_as_owner(*f.catalog, "UPDATE audit_event SET time_ms = time_ms - " +
                                                               std::to_string(800 * k_ms_per_day) + " WHERE seq <= 2");
            const int64_t now = now_ms();
            CHECK_THROWS_AS(prune(*f.catalog, f.actor, now - 400 * k_ms_per_day, now), Error);
            CHECK(query_int(*f.catalog, "SELECT COUNT(*) FROM audit_event") == 4);
        }
        f.age(800, "seq <= 2");
        const int64_t now = now_ms();
        CHECK(prune(*f.catalog, f.actor, now - 400 * k_ms_per_day, now).pruned == 2);
        CHECK(verify(*f.catalog).ok());
        if (!f.catalog->is_sqlite()) {
            CHECK(refused(f, "UPDATE audit_anchor SET time_ms = 0"));
            CHECK(refused(f, "DELETE FROM audit_anchor"));
            CHECK(refused(f, "TRUNCATE audit_anchor"));
            CHECK(query_int(*f.catalog, "SELECT COUNT(*) FROM audit_anchor") == 1);
        }
    }
}
