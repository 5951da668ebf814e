#include "core/purge/lock.hpp"
#include "core/util/error.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

using namespace cairn;
using namespace cairn::purge;

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
        int ready[2];
        REQUIRE(::pipe(ready) == 0);
        pid_t child = ::fork();
        if (child == 0) {
            RunLock held = RunLock::acquire(file);
            char c = 1;
            (void)!::write(ready[1], &c, 1);
            ::pause();
            ::_exit(0);
        }
        char c = 0;
        REQUIRE(::read(ready[0], &c, 1) == 1);
        long pid = 0;
        CHECK_FALSE(RunLock::try_acquire(file, &pid).has_value());
        CHECK(pid == child);
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        CHECK(RunLock::try_acquire(file).has_value());
        ::close(ready[0]);
        ::close(ready[1]);
        std::filesystem::remove(file);
    }
}
