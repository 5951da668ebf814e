#include "core/catalog/testing.hpp"
#include "core/purge/request.hpp"
#include "core/purge/testing.hpp"
#include "core/util/error.hpp"

#include <doctest/doctest.h>

using namespace cairn;
using namespace cairn::purge;

namespace {
constexpr int64_t k_day = 86'400'000;
constexpr int64_t k_now = 1'000 * k_day;

int error_kind(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return static_cast<int>(e.kind());
    }
    return 0;
}
} // namespace

TEST_SUITE("core::purge::request") {
    TEST_CASE("compute_times: deadline clamped to 30 days, grace within the deadline") {
        auto t = compute_times(k_now, 0, 30 * k_day);
        CHECK(t.requested_at == k_now);
        CHECK(t.due_at == k_now);
        CHECK(t.deadline_at == k_now + 30 * k_day);
        CHECK(compute_times(k_now, 0, 90 * k_day).deadline_at == k_now + 30 * k_day);
        CHECK(compute_times(k_now, k_day, 7 * k_day).due_at == k_now + k_day);
        CHECK(compute_times(k_now, 0, 1000).deadline_at == k_now + 1000);
        CHECK_THROWS_AS(compute_times(k_now, 8 * k_day, 7 * k_day), Error);
        CHECK_THROWS_AS(compute_times(k_now, -1, 7 * k_day), Error);
    }

    TEST_CASE("create_request: key means all versions, hidden at once, times from config") {
        testing::Fixture f;
        f.config().purge_grace_ms = k_day;
        f.config().purge_deadline_ms = 10 * k_day;
        auto v1 = f.add("exp/a", 1);
        auto v2 = f.add("exp/a", 2);
        auto other = f.add("exp/b", 3);
        auto created = create_request(f.ctx(), {{"exp/a"}, "because", false, std::nullopt}, k_now);
        CHECK(created.targets.size() == 2);
        CHECK(created.request.times.due_at == k_now + k_day);
        CHECK(created.request.times.deadline_at == k_now + 10 * k_day);
        CHECK(f.state_of(v1.uid) == "pending_deletion");
        CHECK(f.state_of(v2.uid) == "pending_deletion");
        CHECK(f.state_of(other.uid) == "active");
        CHECK(catalog::list_artifacts(f.catalog(), "exp/a", true).empty());
        CHECK(catalog::testing::query_int(f.catalog(), "SELECT COUNT(*) FROM audit_event WHERE action = 'purge.request'") == 1);
    }

    TEST_CASE("create_request: key@vN and uid name one version; latest moves to what remains") {
        testing::Fixture f;
        auto v1 = f.add("exp/a", 1);
        auto v2 = f.add("exp/a", 2);
        auto v3 = f.add("exp/a", 3);
        create_request(f.ctx(), {{"exp/a@v3", v1.uid}, "", false, std::nullopt}, k_now);
        CHECK(f.state_of(v1.uid) == "pending_deletion");
        CHECK(f.state_of(v2.uid) == "active");
        CHECK(f.state_of(v3.uid) == "pending_deletion");
        auto listed = catalog::list_artifacts(f.catalog(), "exp/a", false);
        REQUIRE(listed.size() == 1);
        CHECK(listed[0].uid == v2.uid);
        CHECK(error_kind([&] { create_request(f.ctx(), {{"nope"}, "", false, std::nullopt}, k_now); }) ==
              static_cast<int>(ErrorKind::not_found));
    }

    TEST_CASE("cancel_request: before due restores; after due refused with conflict") {
        testing::Fixture f;
        auto a = f.add("exp/a", 1);
        auto req = create_request(f.ctx(), {{"exp/a"}, "", false, k_day}, k_now).request;
        cancel_request(f.ctx(), req.uid, k_now + 1000);
        CHECK(f.state_of(a.uid) == "active");
        CHECK(catalog::list_artifacts(f.catalog(), "exp/a", false).size() == 1);
        CHECK(error_kind([&] { cancel_request(f.ctx(), req.uid, k_now + 2000); }) == static_cast<int>(ErrorKind::conflict));

        auto late = create_request(f.ctx(), {{"exp/a"}, "", false, k_day}, k_now).request;
        CHECK(error_kind([&] { cancel_request(f.ctx(), late.uid, k_now + k_day); }) == static_cast<int>(ErrorKind::conflict));
        CHECK(f.state_of(a.uid) == "pending_deletion");
        CHECK(error_kind([&] { cancel_request(f.ctx(), "nosuchrequest000", k_now); }) == static_cast<int>(ErrorKind::not_found));
    }

    TEST_CASE("cancel_request: an artifact still targeted by another pending request stays hidden") {
        testing::Fixture f;
        auto a = f.add("exp/a", 1);
        auto first = create_request(f.ctx(), {{"exp/a"}, "", false, k_day}, k_now).request;
        create_request(f.ctx(), {{a.uid}, "", false, k_day}, k_now);
        cancel_request(f.ctx(), first.uid, k_now + 1);
        CHECK(f.state_of(a.uid) == "pending_deletion");
    }

    TEST_CASE("find_descendants: transitive through runs; --with-descendants targets them") {
        testing::Fixture f;
        auto raw = f.add("raw", 1);
        auto clean = f.add("clean", 2, f.add_run({raw.id}));
        auto model = f.add("model", 3, f.add_run({clean.id}));
        auto unrelated = f.add("other", 4, f.add_run({}));
        auto ids = find_descendants(f.catalog(), {raw.id});
        CHECK(ids == std::vector<int64_t>{clean.id, model.id});
        auto created = create_request(f.ctx(), {{"raw"}, "", true, std::nullopt}, k_now);
        CHECK(created.targets.size() == 3);
        CHECK(created.targets[1].via == "descendant");
        CHECK(f.state_of(model.uid) == "pending_deletion");
        CHECK(f.state_of(unrelated.uid) == "active");
    }
}
