#include "core/purge/residue.hpp"

#include "core/util/error.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <unistd.h>

using namespace cairn::purge;
namespace stdfs = std::filesystem;

namespace {

struct TempDir {
    stdfs::path path = stdfs::temp_directory_path() / ("cairn-residue-" + std::to_string(::getpid()));
    TempDir() { stdfs::create_directories(path); }
    ~TempDir() { stdfs::remove_all(path); }
};

void write(const stdfs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

} // namespace

TEST_CASE("residue: finds each needle at its offset, across read boundaries") {
    TempDir dir;
    const std::string a = "ABCDEFGHIJKL", b = "0123456789ab";
    // 1 MiB reads: put one needle across the first boundary, one at the end.
    std::string bytes((1 << 20) - 5, 'x');
    bytes += a;
    bytes += std::string(1000, 'y');
    bytes += b;
    write(dir.path / "f", bytes);
    const auto found = find_residue({dir.path / "f"}, {a, b});
    REQUIRE(found.size() == 2);
    CHECK(found[0].offset == (1u << 20) - 5);
    CHECK(found[0].needle == 0);
    CHECK(found[1].offset == (1u << 20) - 5 + 12 + 1000);
    CHECK(found[1].needle == 1);
}

TEST_CASE("residue: nothing found, missing files skipped, unreadable files fail") {
    TempDir dir;
    write(dir.path / "f", std::string(5000, 'z') + "ABCDEFGHIJK"); // one byte short of the needle
    CHECK(find_residue({dir.path / "f", dir.path / "missing"}, {"ABCDEFGHIJKL"}).empty());
    CHECK(find_residue({dir.path / "f"}, {}).empty());
    CHECK_THROWS_AS(find_residue({dir.path}, {"ABCDEFGHIJKL"}), cairn::Error); // a directory cannot be read
    CHECK_THROWS(find_residue({dir.path / "f"}, {"ABC", "ABCD"}));               // lengths differ
}

TEST_CASE("residue: needles are stored inverted, which never matches themselves") {
    const std::string n = "\x01\x02\xff needle!!";
    CHECK(inverted(inverted(n)) == n);
    CHECK(inverted(n) != n);
    CHECK(inverted(n).find(n) == std::string::npos);
}
