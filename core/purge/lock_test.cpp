#include "core/purge/lock.hpp"
#include "core/util/error.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>
#include <chrono>
#include <csignal>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace cairn;
using namespace cairn::purge;

namespace {

// A forked child that takes the lock, says so on a pipe and waits to be
// killed. The parent closes its copy of the write end, so a child that dies
// before saying so gives end-of-file, not a read that blocks forever; and
// the child is killed and reaped however the test ends.
class LockHolder {
  public:
    explicit LockHolder(const std::filesystem::path& file) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        m_pid = ::fork();
        REQUIRE(m_pid >= 0);
        if (m_pid == 0) hold(file, fds);
        ::close(fds[1]);
        m_ready = fds[0];
    }
    ~LockHolder() {
        kill();
        ::close(m_ready);
    }
    LockHolder(const LockHolder&) = delete;
    LockHolder& operator=(const LockHolder&) = delete;

    pid_t pid() const { return m_pid; }

    // True once the child holds the lock; false if it died first or has not
    // said so within the deadline.
    bool wait_until_held(std::chrono::seconds deadline) {
        pollfd p{m_ready, POLLIN, 0};
        int timeout_ms = static_cast<int>(std::chrono::milliseconds(deadline).count());
        if (::poll(&p, 1, timeout_ms) != 1) return false;
        char c = 0;
        return ::read(m_ready, &c, 1) == 1;
    }

    void kill() {
        if (m_pid <= 0) return;
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
        m_pid = 0;
    }

  private:
    // The child: never returns into the test runner.
    [[noreturn]] static void hold(const std::filesystem::path& file, int fds[2]) {
        ::close(fds[0]);
        try {
            RunLock held = RunLock::acquire(file);
            char c = 1;
            if (::write(fds[1], &c, 1) != 1) ::_exit(1);
            for (;;) ::pause();
        } catch (...) {
            ::_exit(1);
        }
    }

    pid_t m_pid = 0;
    int m_ready = -1;
};

} // namespace

TEST_SUITE("core::purge::lock") {
    TEST_CASE("RunLock: exclusive while held, free once released") {
        auto file = std::filesystem::temp_directory_path() / ("cairn-lock-" + random_hex(6));
        {
            RunLock held = RunLock::acquire(file);
            long pid = 0;
            CHECK_FALSE(RunLock::try_acquire(file, &pid).has_value());
            CHECK(pid == ::getpid());
            try {
                (void)RunLock::acquire(file);
                FAIL("second acquire succeeded");
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::conflict);
                CHECK(std::string(e.what()).find("pid " + std::to_string(::getpid())) != std::string::npos);
            }
        }
        CHECK(RunLock::try_acquire(file).has_value());
        std::filesystem::remove(file);
    }

    TEST_CASE("RunLock: a killed holder releases the lock") {
        auto file = std::filesystem::temp_directory_path() / ("cairn-lock-" + random_hex(6));
        LockHolder holder(file);
        REQUIRE_MESSAGE(holder.wait_until_held(std::chrono::seconds(30)),
                        "the child did not take the lock");
        long pid = 0;
        CHECK_FALSE(RunLock::try_acquire(file, &pid).has_value());
        CHECK(pid == holder.pid());
        holder.kill();
        CHECK(RunLock::try_acquire(file).has_value());
        std::filesystem::remove(file);
    }
}
