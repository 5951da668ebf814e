#include "core/catalog/pending_uploads.hpp"
#include "core/catalog/testing.hpp"
#include "core/purge/execute.hpp"
#include "core/purge/testing.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace cairn;
using namespace cairn::purge;

namespace {

constexpr int64_t k_day = 86'400'000;
constexpr int64_t k_now = 1'000 * k_day;

// Forwards to a real backend, failing the operations it is told to.
class FaultyBackend final : public storage::Backend {
public:
    explicit FaultyBackend(storage::Backend& inner) : m_inner(inner) {}
    bool fail_remove = false;
    bool keep_objects = false; // remove "succeeds" but leaves the object (a lying store)

    std::string describe() const override { return "faulty"; }
    storage::Status put(const std::string& n, const std::filesystem::path& s) override { return m_inner.put(n, s); }
    storage::Status get(const std::string& n, const std::filesystem::path& d) override { return m_inner.get(n, d); }
    storage::Result<std::string> get_range(const std::string& n, uint64_t o, uint64_t l) override {
        return m_inner.get_range(n, o, l);
    }
    storage::Result<storage::ObjectInfo> stat(const std::string& n) override { return m_inner.stat(n); }
    storage::Result<std::vector<storage::ObjectInfo>> list(const std::string& p) override { return m_inner.list(p); }
    storage::Result<std::vector<storage::ObjectVersion>> list_versions(const std::string& p) override {
        return m_inner.list_versions(p);
    }
    storage::Status remove(const std::string& n) override {
        if (fail_remove) return storage::fail(storage::FailureKind::transient, "injected failure");
        if (keep_objects) return {};
        return m_inner.remove(n);
    }
    storage::ProbeReport probe() override { return m_inner.probe(); }

private:
    storage::Backend& m_inner;
};

RunReport run_at(Context& ctx, int64_t now) {
    Plan plan = make_plan(ctx, now);
    apply_retention(ctx, plan);
    return execute(ctx, plan, [now] { return now; });
}

std::string target_state(catalog::Catalog& c, const std::string& uid) {
    sql::Statement q(c.sql(), "SELECT t.state FROM deletion_target t JOIN artifact a ON a.id = t.artifact_id WHERE a.uid = ?");
    q.bind(1, uid);
    REQUIRE(q.executeStep());
    return q.getColumn(0).getString();
}

bool file_contains(const std::filesystem::path& p, const std::string& needle) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) return false;
    return fs::read_file(p).find(needle) != std::string::npos;
}

} // namespace

TEST_SUITE("core::purge::execute") {
    // A PostgreSQL catalog keeps deleted rows in dead tuples, its WAL,
    // replicas and backups, out of cairn's reach: there each wrapped key
    // lives in a key object in storage (core/artifact/key_objects.hpp), which
    // purge destroys and verifies like the data object, and the catalog never
    // needs a scrub. On SQLite the key is in the row and the catalog is scrubbed.
    TEST_CASE("execute: certifies on both catalogs; on PostgreSQL the key object is destroyed and verified") {
        testing::Fixture f;
        auto a = f.add("exp/a", 1);
        auto keep = f.add("exp/keep", 2);
        const std::string key_object = f.key_object_of(a);
        CHECK(key_object.empty() == f.catalog().is_sqlite());
        if (!key_object.empty()) REQUIRE(f.backend().stat(key_object));
        auto req = create_request(f.ctx(), {{"exp/a"}, "subject request", false, std::nullopt}, k_now).request;
        RunReport report = execute(f.ctx(), make_plan(f.ctx(), k_now), [] { return k_now + 5; });
        CHECK(report.ok());
        CHECK_FALSE(f.backend().stat(a.object_name));
        CHECK(catalog::find_by_uid(f.catalog(), a.uid)->wrapped_key.empty());
        CHECK(target_state(f.catalog(), a.uid) == "verified");
        auto cert = nlohmann::json::parse(certificate_of(f.catalog(), req.uid));
        REQUIRE(cert["artifacts"].size() == 1);
        if (key_object.empty()) {
            CHECK(cert["artifacts"][0]["key_custody"] == "catalog");
            CHECK(cert["catalog"].get<std::string>().find("scrubbed") != std::string::npos);
            CHECK(cert["artifacts"][0]["catalog_bytes_scanned"] == false); // the fixture's keys are no real blobs
        } else {
            CHECK_FALSE(f.backend().stat(key_object));
            CHECK(f.backend().stat(f.key_object_of(keep))); // the neighbour's key stays
            CHECK(cert["artifacts"][0]["key_custody"] == "key object");
            CHECK(cert["artifacts"][0]["key_object"] == key_object);
            // It does not claim the names are gone from the database's WAL and backups.
            CHECK(cert["catalog"].get<std::string>().find("live rows only") != std::string::npos);
        }
    }

    // A key a cairn without key objects saved into a PostgreSQL row lives
    // on in the database's WAL and backups: no certificate for it, and the
    // failure says how to move keys out.
    TEST_CASE("execute: on PostgreSQL a wrapped key kept in the row stays incomplete at the scrub") {
        testing::Fixture f;
        if (f.catalog().is_sqlite()) return;
        f.keep_keys_in_rows();
        auto a = f.add("exp/a", 1);
        auto req = create_request(f.ctx(), {{"exp/a"}, "subject request", false, std::nullopt}, k_now).request;
        RunReport report = execute(f.ctx(), make_plan(f.ctx(), k_now), [] { return k_now + 5; });
        CHECK_FALSE(f.backend().stat(a.object_name));
        CHECK_FALSE(report.ok());
        CHECK(report.requests_done == 0);
        CHECK(target_state(f.catalog(), a.uid) == "shredded");
        REQUIRE(report.failures.size() == 1);
        CHECK(report.failures[0].step == "scrub");
        CHECK(report.failures[0].message.find("write-ahead log") != std::string::npos);
        CHECK(report.failures[0].message.find("cairn key rotate") != std::string::npos);
        CHECK(certificate_of(f.catalog(), req.uid).empty());
    }

    // A rotation killed after its commit leaves the key object it replaced
    // registered as a pending upload: purge destroys and verifies it too.
    TEST_CASE("execute: a replaced key object still pending removal is destroyed with the artifact") {
        testing::Fixture f;
        auto a = f.add("exp/a", 1);
        auto keep = f.add("exp/keep", 2);
        const std::string leftover = artifact::key_object_name(a.object_name, "00000000000000aa");
        const std::string neighbour = artifact::key_object_name(keep.object_name, "00000000000000aa");
        for (const auto& name : {leftover, neighbour}) {
            std::ofstream(f.dir() / "storage" / name) << "old wrapping";
            catalog::add_pending_upload(f.catalog(), name, 1, 0, "testhost", 1);
        }
        create_request(f.ctx(), {{"exp/a"}, "subject request", false, std::nullopt}, k_now);
        Plan plan = make_plan(f.ctx(), k_now);
        REQUIRE(plan.due.size() == 1);
        REQUIRE(plan.due[0].targets.size() == 1);
        CHECK(plan.due[0].targets[0].leftover_key_objects == std::vector<std::string>{leftover});
        RunReport report = execute(f.ctx(), plan, [] { return k_now + 5; });
        CHECK(report.ok());
        CHECK_FALSE(f.backend().stat(leftover));
        CHECK(f.backend().stat(neighbour)); // another artifact's stays, with its row
        CHECK(catalog::pending_upload_names(f.catalog()) == std::vector<std::string>{neighbour});
    }

    // A kill after the shred step erased the row's reference: the next run
    // still knows the key object (deletion_target.key_object) and verifies it.
    TEST_CASE("execute: a key object left by a store that kept it fails verification after the shred") {
        testing::Fixture f;
        auto a = f.add("exp/a", 1);
        const std::string key_object = f.key_object_of(a);
        if (key_object.empty()) return; // SQLite: keys in rows
        const std::string content = fs::read_file(f.dir() / "storage" / key_object);
        create_request(f.ctx(), {{"exp/a"}, "subject request", false, std::nullopt}, k_now);
        RunReport first = execute(f.ctx(), make_plan(f.ctx(), k_now), [] { return k_now + 5; });
        CHECK(first.ok());
        // The key object comes back (a store that kept a copy, a restored backup).
        std::ofstream(f.dir() / "storage" / key_object) << content;
        sql::Statement reopen(f.catalog().sql(), "UPDATE deletion_target SET state = 'shredded'");
        reopen.exec();
        sql::Statement pending(f.catalog().sql(), "UPDATE deletion_request SET state = 'pending', certificate = NULL");
        pending.exec();
        RunReport second = execute(f.ctx(), make_plan(f.ctx(), k_now + 10), [] { return k_now + 15; });
        CHECK_FALSE(second.ok());
        REQUIRE(second.failures.size() == 1);
        CHECK(second.failures[0].step == "verify");
        CHECK(second.failures[0].message.find(key_object) != std::string::npos);
    }

    TEST_CASE("execute: destroys objects, cache and working copies, shreds the key, certifies") {
        testing::Fixture f;
        auto a = f.add("exp/a", 1);
        auto keep = f.add("exp/keep", 2);
        fs::ensure_dir(f.cache().work_dir() / a.uid);
        fs::write_file_atomic(f.cache().work_dir() / a.uid / "a", "plain", std::filesystem::perms::owner_read);
        auto req = create_request(f.ctx(), {{"exp/a"}, "subject request", false, std::nullopt}, k_now).request;

        Plan dry = make_plan(f.ctx(), k_now);
        REQUIRE(dry.due.size() == 1);
        CHECK(f.backend().stat(a.object_name)); // planning changed nothing

        RunReport report = execute(f.ctx(), dry, [] { return k_now + 5; });
        CHECK(report.ok());
        CHECK(report.requests_done == 1);
        CHECK(report.artifacts_verified == 1);
        CHECK_FALSE(f.backend().stat(a.object_name));
        CHECK(f.backend().stat(keep.object_name));
        CHECK_FALSE(std::filesystem::exists(f.cache().root() / a.object_name));
        CHECK(std::filesystem::exists(f.cache().root() / keep.object_name));
        CHECK_FALSE(std::filesystem::exists(f.cache().work_dir() / a.uid));

        auto row = catalog::find_by_uid(f.catalog(), a.uid);
        CHECK(row->state == "deleted");
        CHECK(row->key.empty());
        CHECK(row->hash.empty());
        CHECK(row->object_name.empty());
        CHECK(row->wrapped_key.empty());
        CHECK(row->version == 1);
        CHECK(row->size == 10);
        CHECK(target_state(f.catalog(), a.uid) == "verified");
        if (f.catalog().is_sqlite()) {
            CHECK_FALSE(file_contains(f.catalog().path(), a.wrapped_key));
            CHECK_FALSE(file_contains(f.catalog().path().string() + "-wal", a.wrapped_key));
            CHECK(file_contains(f.catalog().path(), keep.wrapped_key));
        } else {
            CHECK_FALSE(f.backend().stat(f.key_object_of(a)));
            CHECK(f.backend().stat(f.key_object_of(keep)));
        }

        auto cert = nlohmann::json::parse(certificate_of(f.catalog(), req.uid));
        CHECK(cert["request"] == req.uid);
        CHECK(cert["deadline_met"] == true);
        REQUIRE(cert["artifacts"].size() == 1);
        CHECK(cert["artifacts"][0]["uid"] == a.uid);
        CHECK(cert["artifacts"][0]["object"] == a.object_name);
        CHECK(catalog::testing::query_int(f.catalog(), "SELECT COUNT(*) FROM audit_event WHERE action = 'purge.certificate'") == 1);

        // Idempotent: a second run finds nothing to do.
        RunReport again = run_at(f.ctx(), k_now + 10);
        CHECK(again.ok());
        CHECK(again.requests_done == 0);
    }

    TEST_CASE("execute: failed removal stays pending with its error and is retried next run") {
        testing::Fixture f;
        FaultyBackend faulty(f.backend());
        faulty.fail_remove = true;
        f.use_backend(&faulty);
        auto a = f.add("exp/a", 1);
        create_request(f.ctx(), {{"exp/a"}, "", false, std::nullopt}, k_now);
        RunReport bad = run_at(f.ctx(), k_now);
        CHECK_FALSE(bad.ok());
        REQUIRE(bad.failures.size() == 1);
        CHECK(bad.failures[0].step == "remove");
        CHECK(target_state(f.catalog(), a.uid) == "pending");
        CHECK(catalog::testing::query_text(f.catalog(), "SELECT last_error FROM deletion_target").find("injected") != std::string::npos);
        CHECK(f.state_of(a.uid) == "pending_deletion");
        CHECK_FALSE(catalog::find_by_uid(f.catalog(), a.uid)->wrapped_key.empty()); // never shred before removal

        faulty.fail_remove = false;
        RunReport good = run_at(f.ctx(), k_now + 1);
        CHECK(good.ok());
        CHECK(f.state_of(a.uid) == "deleted");
    }

    TEST_CASE("execute: a store that keeps the object fails verification") {
        testing::Fixture f;
        FaultyBackend faulty(f.backend());
        faulty.keep_objects = true;
        f.use_backend(&faulty);
        auto a = f.add("exp/a", 1);
        create_request(f.ctx(), {{"exp/a"}, "", false, std::nullopt}, k_now);
        RunReport r = run_at(f.ctx(), k_now);
        CHECK_FALSE(r.ok());
        REQUIRE(r.failures.size() == 1);
        CHECK(r.failures[0].step == "verify");
        CHECK(target_state(f.catalog(), a.uid) == "shredded");
        CHECK(r.requests_done == 0);
        faulty.keep_objects = false;
        (void)f.backend().remove(a.object_name);
        if (const auto key_object = f.key_object_of(a); !key_object.empty()) {
            // The data object alone gone is not enough: its key object is still there.
            CHECK_FALSE(run_at(f.ctx(), k_now + 1).ok());
            CHECK(target_state(f.catalog(), a.uid) == "shredded");
            (void)f.backend().remove(key_object);
        }
        CHECK(run_at(f.ctx(), k_now + 1).ok());
        CHECK(target_state(f.catalog(), a.uid) == "verified");
    }

    TEST_CASE("execute: resumes from every intermediate state") {
        testing::Fixture f;
        auto p = f.add("exp/p", 1);
        auto o = f.add("exp/o", 2);
        auto s = f.add("exp/s", 3);
        auto req = create_request(f.ctx(), {{"exp/p", "exp/o", "exp/s"}, "", false, std::nullopt}, k_now).request;
        // As if a run was killed after removing o's object, and after
        // shredding s (before the scrub), key objects included.
        for (const auto* a : {&o, &s}) {
            (void)f.backend().remove(a->object_name);
            if (const auto key_object = f.key_object_of(*a); !key_object.empty()) (void)f.backend().remove(key_object);
        }
        f.catalog().sql().execute("UPDATE deletion_target SET state = 'objects_removed' WHERE artifact_id = " + std::to_string(o.id));
        if (const auto key_object = f.key_object_of(s); !key_object.empty())
            f.catalog().sql().execute("UPDATE deletion_target SET key_object = '" + key_object + "' WHERE artifact_id = " + std::to_string(s.id));
        f.catalog().sql().execute("UPDATE artifact SET wrapped_key = NULL, key = NULL, state = 'deleted' WHERE id = " + std::to_string(s.id));
        f.catalog().sql().execute("UPDATE deletion_target SET state = 'shredded' WHERE artifact_id = " + std::to_string(s.id));

        RunReport r = run_at(f.ctx(), k_now);
        CHECK(r.ok());
        CHECK(r.artifacts_verified == 3);
        for (const auto* a : {&p, &o, &s}) {
            CHECK(target_state(f.catalog(), a->uid) == "verified");
            CHECK(f.state_of(a->uid) == "deleted");
            CHECK_FALSE(file_contains(f.catalog().path(), a->wrapped_key));
        }
        CHECK(nlohmann::json::parse(certificate_of(f.catalog(), req.uid))["artifacts"].size() == 3);
    }

    TEST_CASE("execute: missed deadlines are reported (still pending, or completed late)") {
        testing::Fixture f;
        f.config().purge_deadline_ms = 1000;
        FaultyBackend faulty(f.backend());
        faulty.fail_remove = true;
        f.use_backend(&faulty);
        f.add("exp/a", 1);
        auto req = create_request(f.ctx(), {{"exp/a"}, "", false, std::nullopt}, k_now).request;
        RunReport r = run_at(f.ctx(), k_now + 2000);
        CHECK(r.overdue == std::vector<std::string>{req.uid});
        faulty.fail_remove = false;
        RunReport late = run_at(f.ctx(), k_now + 3000);
        CHECK(late.late == std::vector<std::string>{req.uid});
        CHECK_FALSE(late.ok());
        CHECK(nlohmann::json::parse(certificate_of(f.catalog(), req.uid))["deadline_met"] == false);
        CHECK(run_at(f.ctx(), k_now + 4000).ok());
    }

    TEST_CASE("plan + apply_retention: dry plan creates nothing; the run creates and executes the request") {
        testing::Fixture f;
        f.config().retention = {{"tmp/**", k_day, std::nullopt}};
        auto old = f.add("tmp/old", k_now - 2 * k_day);
        auto fresh = f.add("tmp/new", k_now - 1000);
        Plan plan = make_plan(f.ctx(), k_now);
        REQUIRE(plan.retention.size() == 1);
        CHECK(plan.retention[0].artifacts.size() == 1);
        CHECK(format_plan(plan, true).find("would request deletion of 1") != std::string::npos);
        CHECK(catalog::testing::query_int(f.catalog(), "SELECT COUNT(*) FROM deletion_request") == 0);
        CHECK(f.state_of(old.uid) == "active");

        RunReport r = run_at(f.ctx(), k_now);
        CHECK(r.ok());
        CHECK(f.state_of(old.uid) == "deleted");
        CHECK(f.state_of(fresh.uid) == "active");
        CHECK(catalog::testing::query_text(f.catalog(), "SELECT policy FROM deletion_request") == "tmp/**");
    }

    TEST_CASE("execute: many targets in batches") {
        testing::Fixture f;
        f.add_many("bulk/", 2100, 7);
        create_request(f.ctx(), {{"bulk/0", "bulk/1", "bulk/2", "bulk/3", "bulk/4", "bulk/5", "bulk/6"}, "", false, std::nullopt}, k_now);
        RunReport r = run_at(f.ctx(), k_now);
        CHECK(r.ok());
        CHECK(r.artifacts_verified == 2100);
        CHECK(f.backend().list("objects/")->empty());
    }
}
