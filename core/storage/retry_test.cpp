#include "core/storage/backend.hpp"

#include <doctest/doctest.h>

#include <deque>

using namespace cairn::storage;

namespace {

// Fails each call with the next queued kind, then succeeds.
class FlakyBackend final : public Backend {
  public:
    explicit FlakyBackend(std::deque<FailureKind> failures, int* calls)
        : m_failures(std::move(failures)), m_calls(calls) {}
    std::string describe() const override { return "flaky"; }
    Status put(const std::string&, const std::filesystem::path&) override { return next(); }
    Status get(const std::string&, const std::filesystem::path&) override { return next(); }
    Result<std::string> get_range(const std::string&, uint64_t, uint64_t) override {
        if (Status st = next(); !st) return cairn::unexpected(st.error());
        return std::string("ok");
    }
    Result<ObjectInfo> stat(const std::string& name) override {
        if (Status st = next(); !st) return cairn::unexpected(st.error());
        return ObjectInfo{name, 1};
    }
    Result<std::vector<ObjectInfo>> list(const std::string&) override {
        return std::vector<ObjectInfo>{};
    }
    Result<std::vector<ObjectVersion>> list_versions(const std::string&) override {
        return std::vector<ObjectVersion>{};
    }
    Status remove(const std::string&) override { return next(); }
    ProbeReport probe() override { return {}; }

  private:
    Status next() {
        ++*m_calls;
        if (m_failures.empty()) return {};
        FailureKind kind = m_failures.front();
        m_failures.pop_front();
        return fail(kind, "injected");
    }
    std::deque<FailureKind> m_failures;
    int* m_calls;
};

// Each put fails with the next queued failure, then succeeds.
class RefusingBackend final : public Backend {
  public:
    explicit RefusingBackend(std::deque<Failure> failures) : m_failures(std::move(failures)) {}
    std::string describe() const override { return "refusing"; }
    Status put(const std::string&, const std::filesystem::path&) override {
        if (m_failures.empty()) return {};
        Failure f = m_failures.front();
        m_failures.pop_front();
        return cairn::unexpected(f);
    }
    Status get(const std::string&, const std::filesystem::path&) override { return {}; }
    Result<std::string> get_range(const std::string&, uint64_t, uint64_t) override { return std::string(); }
    Result<ObjectInfo> stat(const std::string& name) override { return ObjectInfo{name, 1}; }
    Result<std::vector<ObjectInfo>> list(const std::string&) override { return std::vector<ObjectInfo>{}; }
    Result<std::vector<ObjectVersion>> list_versions(const std::string&) override {
        return std::vector<ObjectVersion>{};
    }
    Status remove(const std::string&) override { return {}; }
    ProbeReport probe() override { return {}; }

  private:
    std::deque<Failure> m_failures;
};

std::unique_ptr<Backend> flaky(std::deque<FailureKind> failures, int* calls) {
    return with_retry(std::make_unique<FlakyBackend>(std::move(failures), calls), 4, 1);
}

} // namespace

TEST_SUITE("core::storage::Retry") {
    TEST_CASE("retry: transient failures and timeouts are retried until success") {
        int calls = 0;
        auto b = flaky({FailureKind::transient, FailureKind::timeout}, &calls);
        CHECK(b->put("x", "/dev/null"));
        CHECK(calls == 3);
    }

    TEST_CASE("retry: gives up after the attempt limit with the last failure") {
        int calls = 0;
        auto b = flaky({FailureKind::transient, FailureKind::transient, FailureKind::transient,
                        FailureKind::timeout, FailureKind::transient},
                       &calls);
        auto st = b->stat("x");
        REQUIRE_FALSE(st);
        CHECK(st.error().kind == FailureKind::timeout);
        CHECK(calls == 4);
    }

    TEST_CASE("retry: auth, not_found and plain errors are not retried") {
        for (auto kind : {FailureKind::auth, FailureKind::not_found, FailureKind::error}) {
            int calls = 0;
            auto b = flaky({kind, kind}, &calls);
            auto got = b->get_range("x", 0, 1);
            REQUIRE_FALSE(got);
            CHECK(got.error().kind == kind);
            CHECK(calls == 1);
        }
    }

    TEST_CASE("retry: remove_many retries only the retryable names") {
        int calls = 0;
        auto b = flaky({FailureKind::transient, FailureKind::auth}, &calls);
        // Base remove_many calls remove per name: "a" fails transient, "b" auth.
        auto failed = b->remove_many({"a", "b"});
        REQUIRE(failed.size() == 1);
        CHECK(failed[0].first == "b");
        CHECK(failed[0].second.kind == FailureKind::auth);
        CHECK(calls == 3);
    }

    TEST_CASE("retry: a put stored nothing only if no attempt may have stored anything") {
        const Failure refused{FailureKind::auth, "403", true};
        const Failure throttled{FailureKind::transient, "503 SlowDown", true};
        const Failure timed_out{FailureKind::timeout, "timed out", false};
        auto put_with = [](std::deque<Failure> failures) {
            return with_retry(std::make_unique<RefusingBackend>(std::move(failures)), 4, 1)->put("x", "/dev/null");
        };
        auto st = put_with({refused});
        REQUIRE_FALSE(st);
        CHECK(st.error().nothing_stored);
        st = put_with({throttled, throttled, refused});
        REQUIRE_FALSE(st);
        CHECK(st.error().nothing_stored);
        // The store may have taken the object before the answer timed out.
        st = put_with({timed_out, refused});
        REQUIRE_FALSE(st);
        CHECK(st.error().kind == FailureKind::auth);
        CHECK_FALSE(st.error().nothing_stored);
    }
}
