#include "core/cache/cache.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>
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

    TEST_CASE("temps left by killed processes: old ones removed, young ones and entries kept, never evicted") {
        auto root = stdfs::temp_directory_path() / ("cairn-cache-" + random_hex(6));
        cache::Cache c(root, 1500);
        put(c, "objects/ab/entry", 1000);
        auto left = [&](const std::string& name, int64_t age_s) {
            const auto p = root / "objects" / name;
            fs::write_file_atomic(p, std::string(1000, 't'), stdfs::perms::owner_read | stdfs::perms::owner_write);
            stdfs::last_write_time(p, stdfs::file_time_type::clock::now() - std::chrono::seconds(age_s));
            return p;
        };
        const auto old_temp = left(".incoming.tmp-0123456789abcdef", 7200);
        const auto young_temp = left(".incoming.tmp-fedcba9876543210", 1);
        CHECK(c.evict() == 0); // temps do not count towards the limit and are not evicted
        c.remove_stale_temps(3'600'000);
        CHECK_FALSE(stdfs::exists(old_temp));
        CHECK(stdfs::exists(young_temp));
        CHECK(c.lookup("objects/ab/entry", 1000));
        stdfs::remove_all(root);
    }
}
