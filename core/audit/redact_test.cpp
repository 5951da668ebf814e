#include "core/audit/chain.hpp"
#include "core/audit/query.hpp"
#include "core/audit/test_support.hpp"
#include "core/audit/verify.hpp"

#include <doctest/doctest.h>

using namespace cairn;
using namespace cairn::audit;
using cairn::audit::testing::AuditFixture;

namespace {

void add_named(AuditFixture& f, const std::string& uid, const std::string& key) {
    Actor a = f.actor;
    a.command_line = "cairn save data.csv " + key;
    f.catalog->write_transaction(
        [&] { append(*f.catalog, a, {"save", {uid}, "ok", std::nullopt, {{"note", "about " + key}}}); });
}

int64_t count(AuditFixture& f, const std::string& where) {
    return f.catalog->db().execAndGet("SELECT COUNT(*) FROM audit_event WHERE " + where).getInt64();
}

} // namespace

TEST_SUITE("core::audit::redact") {
    TEST_CASE("redact: digests are domain-separated SHA-256 of the text") {
        CHECK(text_digest(k_command_line_domain, "x") != text_digest(k_details_domain, "x"));
        CHECK(text_digest(k_command_line_domain, "ab") != text_digest(k_command_line_domain, "a"));
        CHECK(text_digest(k_details_domain, "") == text_digest(k_details_domain, ""));
    }

    TEST_CASE("redact: a redacted event still verifies and keeps everything but the text") {
        AuditFixture f;
        f.add(3);
        add_named(f, "uid-jane", "patients/jane-doe.csv");
        f.add(3);
        int64_t n = 0;
        f.catalog->write_transaction([&] { n = redact_events_naming(*f.catalog, {"uid-jane"}, 12345); });
        CHECK(n == 1);
        CHECK(count(f, "command_line LIKE '%jane%' OR details LIKE '%jane%'") == 0);
        CHECK(count(f, "seq = 4 AND command_line IS NULL AND details IS NULL AND redacted_at = 12345") == 1);
        CHECK(count(f, "seq = 4 AND action = 'save' AND targets = '[\"uid-jane\"]' AND result = 'ok'") == 1);
        auto r = verify(*f.catalog);
        CHECK(r.ok());
        CHECK(r.events == 7);
        CHECK(count_redacted_naming(*f.catalog, {"uid-jane", "uid-none"}) == 1);
        // Redacting again finds nothing new.
        f.catalog->write_transaction([&] { n = redact_events_naming(*f.catalog, {"uid-jane"}, 99999); });
        CHECK(n == 0);
        // Events append after a redaction and the chain goes on.
        f.add(2);
        CHECK(verify(*f.catalog).ok());
        Filter all;
        auto events = list_events(*f.catalog, all);
        REQUIRE(events.size() == 9);
        CHECK(events[3].redacted_at == 12345);
        CHECK(events[3].command_line.empty());
        CHECK(events[3].details.is_null());
    }

    TEST_CASE("redact: only events naming the uid are redacted") {
        AuditFixture f;
        f.add(5); // targets uid0..uid4
        int64_t n = 0;
        f.catalog->write_transaction([&] { n = redact_events_naming(*f.catalog, {"uid2", "uid-none"}, 1); });
        CHECK(n == 1);
        CHECK(count(f, "redacted_at IS NOT NULL") == 1);
        CHECK(count(f, "seq = 3 AND redacted_at IS NOT NULL") == 1);
        CHECK(verify(*f.catalog).ok());
    }

    TEST_CASE("redact: an edited digest fails at its seq") {
        AuditFixture f;
        f.add(6);
        SUBCASE("of an unredacted event") {
            f.sql("UPDATE audit_event SET command_line_digest = randomblob(32) WHERE seq = 4");
        }
        SUBCASE("of a redacted event") {
            f.sql("UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 1 WHERE seq = 4");
            f.sql("UPDATE audit_event SET details_digest = randomblob(32) WHERE seq = 4");
        }
        SUBCASE("digest replaced by the digest of other text, text changed to match") {
            const auto d = text_digest(k_details_domain, "{\"i\":99}");
            f.catalog->db().exec("UPDATE audit_event SET details = '{\"i\":99}' WHERE seq = 4");
            SQLite::Statement st(f.catalog->db(), "UPDATE audit_event SET details_digest = ? WHERE seq = 4");
            st.bind(1, d.data(), static_cast<int>(d.size()));
            st.exec();
        }
        auto r = verify(*f.catalog);
        CHECK_FALSE(r.ok());
        CHECK(r.bad_seq == 4);
        CHECK(r.problem == Problem::edited);
    }

    TEST_CASE("redact: edited unredacted text fails at its seq") {
        AuditFixture f;
        f.add(6);
        SUBCASE("command line") { f.sql("UPDATE audit_event SET command_line = 'cairn ls --all' WHERE seq = 2"); }
        SUBCASE("details") { f.sql("UPDATE audit_event SET details = '{\"i\":7}' WHERE seq = 2"); }
        SUBCASE("text dropped without the redaction mark") {
            f.sql("PRAGMA ignore_check_constraints = ON");
            f.sql("UPDATE audit_event SET command_line = NULL WHERE seq = 2");
        }
        SUBCASE("text of a redacted event put back differently") {
            f.sql("UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 1 WHERE seq = 2");
            f.sql("UPDATE audit_event SET command_line = 'cairn something else', details = '{}' WHERE seq = 2");
        }
        auto r = verify(*f.catalog);
        CHECK_FALSE(r.ok());
        CHECK(r.bad_seq == 2);
        CHECK(r.problem == Problem::edited);
    }

    TEST_CASE("redact: the last event, redacted, still verifies; edited, fails") {
        AuditFixture f;
        add_named(f, "uid-a", "a/b.csv");
        f.sql("UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 5 WHERE seq = 1");
        CHECK(verify(*f.catalog).ok());
        f.sql("UPDATE audit_event SET action = 'load' WHERE seq = 1");
        auto r = verify(*f.catalog);
        CHECK(r.bad_seq == 1);
    }
}
