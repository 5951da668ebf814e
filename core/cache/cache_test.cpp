#include "core/cache/cache.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>
#include <unistd.h>
#include <sys/wait.h>
#include <thread>

using namespace cairn;
namespace stdfs = std::filesystem;

namespace {
void put(cache::Cache& c, const std::string& name, size_t size) {
    auto t = c.new_temp();
    std::string data(size, 'x');
    fs::write_all(t.fd(), std::as_bytes(std::span(data.data(), data.size())), t.path());
    c.insert(t, name);
}
} // namespace

TEST_SUITE("core::cache") {
    TEST_CASE("lookup: hit with right size, wrong size is dropped") {
        auto root = stdfs::temp_directory_path() / ("cairn-cache-" + random_hex(6));
        cache::Cache c(root, 1 << 20);
        put(c, "objects/aa/one", 100);
        CHECK(c.lookup("objects/aa/one", 100).has_value());
        CHECK_FALSE(c.lookup("objects/aa/one", 99).has_value());
        CHECK_FALSE(stdfs::exists(root / "objects/aa/one"));
        CHECK_FALSE(c.lookup("objects/aa/missing", 1).has_value());
        stdfs::remove_all(root);
    }

    TEST_CASE("evict: least recently used go first, down to the limit") {
        auto root = stdfs::temp_directory_path() / ("cairn-cache-" + random_hex(6));
        cache::Cache c(root, 2500);
        put(c, "objects/a", 1000);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        put(c, "objects/b", 1000);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        put(c, "objects/c", 1000);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CHECK(c.lookup("objects/a", 1000)); // a is now the most recently used
        CHECK(c.evict() == 1000);
        CHECK(c.lookup("objects/a", 1000));
        CHECK_FALSE(c.lookup("objects/b", 1000));
        CHECK(c.size_bytes() == 2000);
        stdfs::remove_all(root);
    }

    TEST_CASE("temps of dead processes are removed at once; held ones, entries and other files stay") {
        auto root = stdfs::temp_directory_path() / ("cairn-cache-" + random_hex(6));
        cache::Cache c(root, 1500);
        put(c, "objects/ab/entry", 1000);
        // A child that dies (as under kill -9: no destructor runs) while
        // writing a temp leaves it behind, young and unlocked.
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            fs::TempFile t = c.new_temp();
            const std::string data(1000, 'd');
            fs::write_all(t.fd(), std::as_bytes(std::span(data.data(), data.size())), t.path());
            ::_exit(0);
        }
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        // An unlocked temp as an older cairn left it, and one being written.
        const auto objects = root / "objects";
        fs::write_file_atomic(objects / ".incoming.tmp-0123456789abcdef", "old", stdfs::perms::owner_read | stdfs::perms::owner_write);
        fs::TempFile live = c.new_temp();
        fs::write_file_atomic(objects / "not-a-temp", "x", stdfs::perms::owner_read | stdfs::perms::owner_write);
        auto temps = [&] {
            int n = 0;
            for (const auto& e : stdfs::directory_iterator(objects))
                n += e.path().filename().string().rfind(".incoming.tmp-", 0) == 0;
            return n;
        };
        REQUIRE(temps() == 3);
        CHECK(c.evict() == 0); // temps do not count towards the limit and are not evicted
        const fs::DeadTemps removed = cache::remove_dead_temps(root);
        CHECK(removed.files == 2);
        CHECK(removed.bytes == 1003);
        CHECK(temps() == 1);
        CHECK(stdfs::exists(live.path()));
        CHECK(stdfs::exists(objects / "not-a-temp"));
        CHECK(c.lookup("objects/ab/entry", 1000));
        // Closed before commit, a temp is still held (its lock outlives the fd).
        live.close();
        CHECK(cache::remove_dead_temps(root).files == 0);
        c.insert(live, "objects/cd/entry2");
        CHECK(c.lookup("objects/cd/entry2", 0));
        stdfs::remove_all(root);
    }
}
