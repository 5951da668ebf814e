// Per-member event signatures: on an instance that signs its events, a
// member who holds the shared audit key can append events, but verify
// refuses any that another member (or the instance key) would have had to
// sign: one in another member's name, after their revocation, a grant by a
// non-admin, an unsigned or re-signed event.
#include "core/audit/event_signatures.hpp"
#include "core/audit/names.hpp"
#include "core/audit/prune.hpp"
#include "core/audit/test_support.hpp"
#include "core/audit/verify.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>

using namespace cairn;
using namespace cairn::audit;
using cairn::audit::testing::AuditFixture;

namespace {

// A fresh Ed25519 private key as a 0600 PEM file in `dir`.
std::filesystem::path new_signing_key(const std::filesystem::path& dir, const std::string& name) {
    const auto path = dir / (name + ".sign.pem");
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    REQUIRE(key);
    FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f);
    REQUIRE(PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    std::fclose(f);
    EVP_PKEY_free(key);
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
}

struct Member {
    std::string name;
    std::shared_ptr<const Signer> signer;
    Actor actor;
};

struct SignedFixture : AuditFixture {
    SignedFixture() {
        catalog->write_transaction([&] { set_signed_from(*catalog, 1); });
        add(2); // by the instance key (this fixture's dir holds audit-sign.key)
    }
    Member member(const std::string& name, const std::string& role) {
        Member m{name, Signer::from_private_pem(new_signing_key(dir, name)), actor};
        m.actor.identity = name;
        m.actor.credential = "member " + name + " (" + role + ", fp" + name + ")";
        m.actor.signer = m.signer;
        return m;
    }
    // An access.grant event registering `m`'s key, signed by `by`.
    void grant(const Member& m, const std::string& role, const Actor& by) {
        append(*catalog, by, {"access.grant", {}, "ok", std::nullopt,
                              {{"member", m.name}, {"role", role}, {"signing_key", public_key_hex(m.signer->public_key())}}});
    }
    void event(const Actor& by, const std::string& action = "load") {
        append(*catalog, by, {action, {"uid-x"}, "ok", std::nullopt, {}});
    }
    VerifyReport check() { return verify(*catalog); }
    int64_t last() { return catalog::testing::query_int(*catalog, "SELECT MAX(seq) FROM audit_event"); }
};

} // namespace

TEST_SUITE("core::audit::signatures") {
    TEST_CASE("signatures: members' own events verify; the instance key signs the rest") {
        SignedFixture f;
        Member ann = f.member("ann", "writer");
        f.grant(ann, "writer", f.actor);
        f.event(ann.actor);
        f.event(f.actor);
        const VerifyReport r = f.check();
        CHECK_MESSAGE(r.ok(), r.message);
        CHECK(r.events == 5);
        CHECK(catalog::testing::query_int(*f.catalog, "SELECT COUNT(*) FROM audit_event WHERE signer IS NULL") == 0);
    }

    TEST_CASE("signatures: an event in another member's name is refused") {
        SignedFixture f;
        Member ann = f.member("ann", "writer"), bob = f.member("bob", "writer");
        f.grant(ann, "writer", f.actor);
        f.grant(bob, "writer", f.actor);
        f.event(ann.actor);
        // Bob holds the audit key (every member does) and signs with his own
        // key, but the event says ann acted.
        Actor forged = ann.actor;
        forged.signer = bob.signer;
        f.event(forged);
        const VerifyReport r = f.check();
        CHECK(r.problem == Problem::wrong_signer);
        CHECK(r.bad_seq == f.last());
    }

    TEST_CASE("signatures: unsigned, re-signed and unknown-key events are refused") {
        SignedFixture f;
        Member ann = f.member("ann", "writer");
        f.grant(ann, "writer", f.actor);
        f.event(ann.actor);
        const int64_t seq = f.last();
        SUBCASE("signature removed") {
            f.sql("UPDATE audit_event SET signature = NULL WHERE seq = " + std::to_string(seq));
            CHECK(f.check().problem == Problem::unsigned_event);
        }
        SUBCASE("signature of another event") {
            f.event(ann.actor);
            f.sql("UPDATE audit_event SET signature = (SELECT signature FROM audit_event WHERE seq = " +
                  std::to_string(seq + 1) + ") WHERE seq = " + std::to_string(seq));
            const VerifyReport r = f.check();
            CHECK(r.problem == Problem::bad_signature);
            CHECK(r.bad_seq == seq);
        }
        SUBCASE("a key no grant registered") {
            Member eve = f.member("eve", "writer"); // never granted
            f.event(eve.actor);
            const VerifyReport r = f.check();
            CHECK(r.problem == Problem::bad_signature);
            CHECK(r.bad_seq == seq + 1);
        }
        SUBCASE("the signer column names another key") {
            f.sql("UPDATE audit_event SET signer = (SELECT signer FROM audit_event WHERE seq = 1) WHERE seq = " +
                  std::to_string(seq));
            CHECK(f.check().problem == Problem::bad_signature);
        }
    }

    TEST_CASE("signatures: only an admin registers keys; a revoked member signs nothing more") {
        SignedFixture f;
        Member ann = f.member("ann", "writer"), carl = f.member("carl", "admin");
        f.grant(ann, "writer", f.actor);
        f.grant(carl, "admin", f.actor);
        SUBCASE("a writer's grant of a key") {
            Member mallory = f.member("mallory", "admin");
            f.grant(mallory, "admin", ann.actor);
            const VerifyReport r = f.check();
            CHECK(r.problem == Problem::wrong_signer);
            CHECK(r.bad_seq == f.last());
        }
        SUBCASE("an admin member's grant") {
            Member dora = f.member("dora", "reader");
            f.grant(dora, "reader", carl.actor);
            f.event(dora.actor);
            const VerifyReport r = f.check();
            CHECK_MESSAGE(r.ok(), r.message);
        }
        SUBCASE("after revocation") {
            f.event(ann.actor);
            append(*f.catalog, f.actor, {"access.revoke", {}, "ok", std::nullopt, {{"member", "ann"}}});
            CHECK(f.check().ok());
            f.event(ann.actor);
            const VerifyReport r = f.check();
            CHECK(r.problem == Problem::wrong_signer);
            CHECK(r.bad_seq == f.last());
        }
    }

    TEST_CASE("signatures: audit prune carries the keys of grants it removes") {
        SignedFixture f;
        Member ann = f.member("ann", "writer");
        f.grant(ann, "writer", f.actor);
        f.sql("INSERT INTO member (name, public_key, fingerprint, role, created_at, signing_key) VALUES ('ann', 'pem', "
              "'fpann', 'writer', 0, '" + public_key_hex(ann.signer->public_key()) + "')");
        f.event(ann.actor);
        f.age(400, "1 = 1");
        f.add(1); // a recent event, so the prune keeps one
        prune(*f.catalog, f.actor, now_ms() - 380LL * 86'400'000, now_ms());
        CHECK(catalog::testing::query_int(*f.catalog, "SELECT COUNT(*) FROM audit_event WHERE action = 'access.grant'") == 0);
        f.event(ann.actor);
        const VerifyReport r = f.check();
        CHECK_MESSAGE(r.ok(), r.message);
    }

    TEST_CASE("signatures: a member named like a purged key keeps the grant that registered their key") {
        SignedFixture f;
        Member ann = f.member("ann", "writer");
        f.grant(ann, "writer", f.actor);
        Actor loader = ann.actor;
        loader.command_line = "cairn load ann";
        f.event(loader);
        const NameSet names{"ann"};
        EventNameIndex index(names);
        int64_t n = 0;
        f.catalog->write_transaction([&] {
            index.scan(*f.catalog);
            n = index.redact(*f.catalog, names, now_ms());
        });
        CHECK(n == 1); // the load that spelled the key, not the grant that names the member
        CHECK(catalog::testing::query_int(*f.catalog, "SELECT COUNT(*) FROM audit_event WHERE action = 'access.grant'"
                                                      " AND details IS NOT NULL") == 1);
        f.event(ann.actor);
        const VerifyReport r = f.check();
        CHECK_MESSAGE(r.ok(), r.message);
    }

    TEST_CASE("signatures: an instance that does not sign its events checks none") {
        AuditFixture f;
        f.add(3);
        CHECK(catalog::testing::query_int(*f.catalog, "SELECT COUNT(*) FROM audit_event WHERE signer IS NOT NULL") == 0);
        CHECK(verify(*f.catalog).ok());
    }

    TEST_CASE("signatures: a machine without a key to sign with appends nothing") {
        AuditFixture f; // never signed anything: no signer cached for its directory
        std::filesystem::remove(key_paths(f.dir).signing_key);
        f.catalog->write_transaction([&] { set_signed_from(*f.catalog, 1); });
        try {
            f.add(1);
            FAIL("appended an event it could not sign");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::permission);
            CHECK(std::string(e.what()).find("no key to sign") != std::string::npos);
        }
        CHECK(catalog::testing::query_int(*f.catalog, "SELECT COUNT(*) FROM audit_event") == 0);
    }
}

TEST_SUITE("core::audit::signatures measure") {
    // Run by hand: cairn_tests -ts="core::audit::signatures measure" --no-skip
    TEST_CASE("signatures: measure verify with and without signatures" * doctest::skip()) {
        constexpr int n = 20'000;
        auto timed_verify = [](AuditFixture& f) {
            const int64_t t0 = now_ms();
            const VerifyReport r = verify(*f.catalog);
            CHECK(r.ok());
            return now_ms() - t0;
        };
        SignedFixture signed_f;
        signed_f.add(n);
        AuditFixture plain;
        plain.add(n);
        const int64_t with = timed_verify(signed_f), without = timed_verify(plain);
        MESSAGE(n << " events: verify " << without << " ms unsigned, " << with << " ms signed ("
                  << (with > without ? n * 1000LL / (with - without) : 0) << " signatures/s)");
    }
}
