// Sealed rows across an audit prune: the seal of an artifact whose save is
// pruned is carried forward as recorded, so old artifacts stay loadable and
// an edit made before the prune is still caught after it.
#include "core/artifact/seal.hpp"

#include "core/audit/audit.hpp"
#include "core/audit/prune.hpp"
#include "core/audit/target_index.hpp"
#include "core/audit/test_support.hpp"
#include "core/audit/verify.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

#include <doctest/doctest.h>

namespace cairn::artifact {

namespace {

using audit::testing::AuditFixture;

catalog::ArtifactRow save_row(AuditFixture& f, const std::string& uid, const std::string& key) {
    catalog::ArtifactRow row;
    row.uid = uid;
    row.key = key;
    row.kind = "file";
    row.hash = std::string(64, 'a');
    row.size = 5;
    row.storage_id = 1;
    row.object_name = "objects/aa/" + uid;
    row.stored_size = 100;
    row.wrapped_key = "wrapped-" + uid;
    row.key_id = "k1";
    row.created_at = now_ms();
    f.catalog->write_transaction([&] {
        catalog::insert_artifact(*f.catalog, row);
        stamp_wrap_mac(*f.catalog, row);
        audit::Event e{"save", {row.uid}, "ok", std::nullopt, {}};
        e.seal = row_seal(row);
        audit::append(*f.catalog, f.actor, e);
    });
    return row;
}

struct SealFixture : AuditFixture {
    SealFixture() { sql("INSERT INTO storage (id, url, created_at) VALUES (1, 'file:///s', 0)"); }
    void age_all(int64_t days) { age(days, "true"); }
    void prune_old() {
        const int64_t now = now_ms();
        audit::prune(*catalog, actor, now - 400 * k_ms_per_day, now);
    }
};

} // namespace

TEST_SUITE("core::artifact::seal") {
    TEST_CASE("seal: a row holds until a sealed field changes") {
        SealFixture f;
        auto row = save_row(f, "uid-a", "data/a");
        CHECK_NOTHROW(require_sealed(*f.catalog, row));
        auto edited = row;
        edited.size = 6;
        CHECK_THROWS_AS(require_sealed(*f.catalog, edited), Error);
        edited = row;
        edited.wrapped_key = "other";
        CHECK_THROWS_AS(require_sealed(*f.catalog, edited), Error);
        CHECK(check_all_seals(*f.catalog).problem.empty());
    }

    TEST_CASE("seal: a prune carries the recorded seal past the pruned save") {
        SealFixture f;
        auto row = save_row(f, "uid-a", "data/a");
        f.age_all(800); // the save is two years old (its MAC breaks: it is pruned)
        f.add(2);
        f.prune_old();
        auto carried = audit::sealed_events_of(*f.catalog, row.uid);
        REQUIRE(carried.size() == 1);
        CHECK(carried[0].action == "artifact.seal");
        CHECK_NOTHROW(require_sealed(*f.catalog, row));
        audit::VerifyReport r = audit::verify(*f.catalog);
        verify_rows(*f.catalog, r);
        CHECK(r.ok());
        CHECK(r.artifacts_checked == 1);
    }

    TEST_CASE("seal: an edit made before a prune is still caught after it") {
        SealFixture f;
        auto row = save_row(f, "uid-a", "data/a");
        f.sql("UPDATE artifact SET size = 6 WHERE uid = 'uid-a'");
        f.age_all(800);
        f.prune_old();
        // The carried seal is the one the save recorded, not the edited row's.
        auto edited = *catalog::find_by_uid(*f.catalog, "uid-a");
        CHECK_THROWS_AS(require_sealed(*f.catalog, edited), Error);
        audit::VerifyReport r = audit::verify(*f.catalog);
        verify_rows(*f.catalog, r);
        CHECK(r.problem == audit::Problem::artifact_mismatch);
    }

    TEST_CASE("seal: audit_target must match the events' targets both ways") {
        SealFixture f;
        f.add(3); // events 1..3 name uid0..uid2
        f.catalog->write_transaction([&] {
            audit::append(*f.catalog, f.actor, {"test", {"u\"q", "dup", "dup"}, "ok", std::nullopt, {}});
        });
        CHECK(audit::audit_target_mismatch(*f.catalog).empty()); // escapes and a repeated uid are fine
        f.sql("DELETE FROM audit_target WHERE seq = 2");
        CHECK(audit::audit_target_mismatch(*f.catalog) == "audit_target lacks the entry for event 2 naming uid1");
        f.sql("INSERT INTO audit_target (uid, seq) VALUES ('uid1', 2), ('uid9', 3)");
        CHECK(audit::audit_target_mismatch(*f.catalog) ==
              "audit_target has an entry for event 3 naming uid9, which that event does not list");
        f.sql("DELETE FROM audit_target WHERE uid = 'uid9'");
        f.sql("UPDATE audit_target SET seq = 1 WHERE seq = 2");
        CHECK_FALSE(audit::audit_target_mismatch(*f.catalog).empty()); // moved to another event
    }

    TEST_CASE("seal: a purged artifact (no wrapped key) needs no seal") {
        SealFixture f;
        save_row(f, "uid-a", "data/a");
        f.sql("UPDATE artifact SET wrapped_key = NULL, key = NULL, state = 'deleted'");
        f.age_all(800);
        f.prune_old();
        CHECK(audit::sealed_events_of(*f.catalog, "uid-a").empty());
        CHECK(check_all_seals(*f.catalog).problem.empty());
    }
}

} // namespace cairn::artifact
