// Retry as a wrapper: backends report retryable failures; this decorator
// retries them with exponential backoff and full jitter so backends stay
// free of retry loops.
#include "core/storage/backend.hpp"

#include <chrono>
#include <random>
#include <thread>

namespace cairn::storage {

namespace {

class RetryBackend final : public Backend {
public:
    RetryBackend(std::unique_ptr<Backend> inner, int attempts, int base_delay_ms)
        : m_inner(std::move(inner)), m_attempts(attempts), m_base_delay_ms(base_delay_ms) {}

    std::string describe() const override { return m_inner->describe(); }
    Status put(const std::string& name, const std::filesystem::path& source) override {
        return retry_put([&] { return m_inner->put(name, source); });
    }
    Status put_temp(const std::string& name, fs::TempFile& temp) override {
        return retry_put([&] { return m_inner->put_temp(name, temp); });
    }
    Result<Created> put_if_absent(const std::string& name, const std::filesystem::path& source,
                                  const PutOnceOptions& options) override {
        return retry([&] { return m_inner->put_if_absent(name, source, options); });
    }
    std::optional<std::filesystem::path> local_path(const std::string& name) const override {
        return m_inner->local_path(name);
    }
    Status get(const std::string& name, const std::filesystem::path& dest) override {
        return retry([&] { return m_inner->get(name, dest); });
    }
    Result<std::string> get_range(const std::string& name, uint64_t offset, uint64_t length) override {
        return retry([&] { return m_inner->get_range(name, offset, length); });
    }
    Result<ObjectInfo> stat(const std::string& name) override {
        return retry([&] { return m_inner->stat(name); });
    }
    Result<std::vector<ObjectInfo>> list(const std::string& prefix) override {
        return retry([&] { return m_inner->list(prefix); });
    }
    Result<std::vector<ObjectVersion>> list_versions(const std::string& prefix) override {
        return retry([&] { return m_inner->list_versions(prefix); });
    }
    Result<std::vector<ObjectVersion>> versions_of(const std::vector<std::string>& names) override {
        return retry([&] { return m_inner->versions_of(names); });
    }
    Status remove(const std::string& name) override {
        return retry([&] { return m_inner->remove(name); });
    }
    std::vector<std::pair<std::string, Failure>> remove_many(const std::vector<std::string>& names) override {
        auto failed = m_inner->remove_many(names);
        std::vector<std::pair<std::string, Failure>> still_failed;
        for (auto& [name, failure] : failed) {
            if (!failure.retryable()) { still_failed.emplace_back(name, failure); continue; }
            if (auto st = remove(name); !st) still_failed.emplace_back(name, st.error());
        }
        return still_failed;
    }
    ProbeReport probe() override { return m_inner->probe(); }

private:
    template <class F> auto retry(F&& op) -> decltype(op()) {
        auto result = op();
        for (int attempt = 1; attempt < m_attempts && !result && result.error().retryable(); ++attempt) {
            sleep_backoff(attempt);
            result = op();
        }
        return result;
    }

    // As retry(), but the failure says nothing was stored only if no
    // attempt may have stored anything (an earlier one may have timed out
    // after the store took the object).
    template <class F> Status retry_put(F&& op) {
        bool all_refused = true;
        Status result = retry([&] {
            Status st = op();
            if (!st && !st.error().nothing_stored) all_refused = false;
            return st;
        });
        if (result) return result;
        Failure failure = result.error();
        failure.nothing_stored = all_refused;
        return unexpected(std::move(failure));
    }

    void sleep_backoff(int attempt) {
        // Full jitter: sleep a uniform time in [0, base * 2^attempt], capped at 10 s.
        int64_t cap = std::min<int64_t>(10'000, int64_t{m_base_delay_ms} << attempt);
        std::uniform_int_distribution<int64_t> dist(0, cap);
        std::this_thread::sleep_for(std::chrono::milliseconds(dist(m_rng)));
    }

    std::unique_ptr<Backend> m_inner;
    int m_attempts;
    int m_base_delay_ms;
    std::mt19937_64 m_rng{std::random_device{}()};
};

} // namespace

std::unique_ptr<Backend> with_retry(std::unique_ptr<Backend> inner, int attempts, int base_delay_ms) {
    return std::make_unique<RetryBackend>(std::move(inner), attempts, base_delay_ms);
}

} // namespace cairn::storage
