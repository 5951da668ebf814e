#include "core/catalog/testing.hpp"
#include "core/audit/chain.hpp"
#include "core/audit/query.hpp"
#include "core/audit/test_support.hpp"
#include "core/audit/verify.hpp"

#include <cstring>

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
    return catalog::testing::query_int(*f.catalog, "SELECT COUNT(*) FROM audit_event WHERE " + where);
}

} // namespace

TEST_SUITE("core::audit::redact") {
    TEST_CASE("redact: unkeyed (older) digests are domain-separated SHA-256 of the text") {
        CHECK(text_digest(k_command_line_domain, "x") != text_digest(k_details_domain, "x"));
        CHECK(text_digest(k_command_line_domain, "ab") != text_digest(k_command_line_domain, "a"));
        CHECK(text_digest(k_details_domain, "") == text_digest(k_details_domain, ""));
    }

    TEST_CASE("redact: new events store keyed digests, which the unkeyed SHA-256 of the text does not match") {
        AuditFixture f;
        CHECK(keyed_digests_from(*f.catalog) == 1); // a new instance: every event
        add_named(f, "uid-jane", "patients/jane-doe.csv");
        sql::Statement q(f.catalog->sql(), "SELECT command_line, command_line_digest, details, details_digest FROM audit_event");
        REQUIRE(q.executeStep());
        const std::string line = q.getColumn(0).getString(), details = q.getColumn(2).getString();
        auto stored = [&](int i) {
            TextDigest d{};
            REQUIRE(q.getColumn(i).getBytes() == 32);
            std::memcpy(d.data(), q.getColumn(i).getBlob(), d.size());
            return d;
        };
        ChainMac& mac = chain_mac_for(f.dir);
        CHECK(stored(1) == mac.text_digest(k_command_line_domain, line));
        CHECK(stored(3) == mac.text_digest(k_details_domain, details));
        CHECK(stored(1) != text_digest(k_command_line_domain, line));
        CHECK(stored(3) != text_digest(k_details_domain, details));
        // Another key gives other digests: they say nothing without the key.
        ChainMac other(crypto::SecretKey::random());
        CHECK(other.text_digest(k_command_line_domain, line) != stored(1));
    }

    TEST_CASE("redact: a trail with unkeyed digests before the marker and keyed ones after verifies; moving the marker fails") {
        AuditFixture f;
        // As a catalog migrated after 3 events written by an older version.
        f.sql("UPDATE instance_info SET value = '4' WHERE name = 'audit_keyed_digests_from'");
        f.add(6);
        sql::Statement q(f.catalog->sql(), "SELECT seq, command_line, command_line_digest FROM audit_event ORDER BY seq");
        ChainMac& mac = chain_mac_for(f.dir);
        while (q.executeStep()) {
            const auto seq = q.getColumn(0).getInt64();
            const std::string line = q.getColumn(1).getString();
            TextDigest d{};
            std::memcpy(d.data(), q.getColumn(2).getBlob(), d.size());
            CHECK_MESSAGE(d == (seq < 4 ? text_digest(k_command_line_domain, line)
                                        : mac.text_digest(k_command_line_domain, line)),
                          "seq ", seq);
        }
        CHECK(verify(*f.catalog).ok());
        // Redacting on both sides of the marker keeps it verifying.
        f.sql("UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 1 WHERE seq IN (2, 5)");
        CHECK(verify(*f.catalog).ok());
        SUBCASE("marker moved back") {
            f.sql("UPDATE instance_info SET value = '3' WHERE name = 'audit_keyed_digests_from'");
            auto r = verify(*f.catalog);
            CHECK(r.bad_seq == 3);
            CHECK(r.problem == Problem::edited);
        }
        SUBCASE("marker moved on") {
            f.sql("UPDATE instance_info SET value = '5' WHERE name = 'audit_keyed_digests_from'");
            auto r = verify(*f.catalog);
            CHECK(r.bad_seq == 4);
        }
        SUBCASE("marker deleted") {
            f.sql("DELETE FROM instance_info WHERE name = 'audit_keyed_digests_from'");
            auto r = verify(*f.catalog);
            CHECK(r.bad_seq == 4);
        }
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
            f.sql("UPDATE audit_event SET command_line_digest = ? WHERE seq = 4", f.random_bytes(32));
        }
        SUBCASE("of a redacted event") {
            f.sql("UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 1 WHERE seq = 4");
            f.sql("UPDATE audit_event SET details_digest = ? WHERE seq = 4", f.random_bytes(32));
        }
        SUBCASE("digest replaced by the digest of other text, text changed to match") {
            // Even with the audit key: the chain covers the digest.
            const auto d = chain_mac_for(f.dir).text_digest(k_details_domain, "{\"i\":99}");
            f.sql("UPDATE audit_event SET details = '{\"i\":99}' WHERE seq = 4");
            f.sql("UPDATE audit_event SET details_digest = ? WHERE seq = 4", d);
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
            // As the database's owner could: lift the CHECK that ties a
            // missing text to the redaction mark.
            f.sql(f.catalog->is_sqlite() ? "PRAGMA ignore_check_constraints = ON"
                                         : "ALTER TABLE audit_event DROP CONSTRAINT audit_event_check");
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
