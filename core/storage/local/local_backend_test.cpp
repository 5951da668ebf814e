#include "core/storage/conformance.hpp"
#include "core/storage/local/local_backend.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace cairn;
using namespace cairn::storage;

TEST_SUITE("core::storage::Local") {
    TEST_CASE("conformance: the local backend passes the storage suite") {
        auto root = std::filesystem::temp_directory_path() / ("cairn-local-" + random_hex(6));
        auto backend = open_local_backend(root);
        run_conformance(*backend, {"run-" + random_hex(4) + "/", 3u << 20, true});
        std::filesystem::remove_all(root);
    }

    TEST_CASE("put_temp: renamed into place on one filesystem, copied across filesystems") {
        namespace stdfs = std::filesystem;
        const auto root = stdfs::temp_directory_path() / ("cairn-local-" + random_hex(6));
        auto backend = open_local_backend(root);
        const std::string content = "ciphertext";
        auto write_temp = [&](const stdfs::path& dir) {
            fs::TempFile temp(dir, ".t");
            fs::write_all(temp.fd(), std::as_bytes(std::span(content)), temp.path());
            return temp;
        };
        fs::ensure_dir(root);
        fs::TempFile near = write_temp(root);
        REQUIRE(backend->put_temp("objects/ab/near", near));
        CHECK(near.committed());
        CHECK_FALSE(stdfs::exists(near.path()));
        CHECK(fs::read_file(root / "objects/ab/near") == content);
        CHECK((stdfs::status(root / "objects/ab/near").permissions() & stdfs::perms::all) ==
              (stdfs::perms::owner_read | stdfs::perms::owner_write));
        CHECK(backend->local_path("objects/ab/near") == root / "objects/ab/near");

        // /dev/shm is a tmpfs on Linux: another filesystem than the temp dir.
        const stdfs::path other("/dev/shm");
        REQUIRE(stdfs::is_directory(other));
        REQUIRE_FALSE(fs::same_filesystem(other, root));
        fs::TempFile far = write_temp(other);
        REQUIRE(backend->put_temp("objects/ab/far", far));
        CHECK_FALSE(far.committed());
        CHECK(fs::read_file(far.path()) == content);
        CHECK(fs::read_file(root / "objects/ab/far") == content);
        stdfs::remove_all(root);
    }

    TEST_CASE("put_if_absent: the file is created once, read-only, and never replaced") {
        namespace stdfs = std::filesystem;
        const auto root = stdfs::temp_directory_path() / ("cairn-local-" + random_hex(6));
        auto backend = open_local_backend(root);
        fs::ensure_dir(root);
        fs::write_file_atomic(root / "a", "first", stdfs::perms::owner_read | stdfs::perms::owner_write);
        fs::write_file_atomic(root / "b", "second", stdfs::perms::owner_read | stdfs::perms::owner_write);
        auto made = backend->put_if_absent("audit/checkpoints/x.json", root / "a", {});
        REQUIRE(made);
        CHECK(*made == Created::yes);
        const auto file = root / "audit/checkpoints/x.json";
        CHECK((stdfs::status(file).permissions() & stdfs::perms::all) ==
              (stdfs::perms::owner_read | stdfs::perms::group_read | stdfs::perms::others_read));
        auto again = backend->put_if_absent("audit/checkpoints/x.json", root / "b", {});
        REQUIRE(again);
        CHECK(*again == Created::no);
        CHECK(fs::read_file(file) == "first");
        int entries = 0;
        for ([[maybe_unused]] const auto& e : stdfs::directory_iterator(root / "audit/checkpoints")) ++entries;
        CHECK(entries == 1); // no temp file left behind
        CHECK(backend->probe().write_once == std::optional<bool>(true));
        stdfs::remove_all(root);
    }

    // A killed writer's temp is swept by the next process's first put into
    // its directory; a process sweeps each directory once, not at every put
    // (a bulk writer stayed linear).
    TEST_CASE("put: a dead temp is removed by the first put into its directory, once per process") {
        namespace stdfs = std::filesystem;
        const auto root = stdfs::temp_directory_path() / ("cairn-local-" + random_hex(6));
        const auto source = root / "source";
        fs::ensure_dir(root / "objects/cd");
        fs::write_file_atomic(source, "content", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        const auto dead = [&](const std::string& name) {
            fs::write_file_atomic(root / "objects/cd" / (".put.tmp-" + name), "killed", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
            return root / "objects/cd" / (".put.tmp-" + name);
        };
        const auto first = dead("first");
        auto backend = open_local_backend(root);
        REQUIRE(backend->put("objects/cd/one", source));
        CHECK_FALSE(stdfs::exists(first));
        const auto second = dead("second");
        REQUIRE(backend->put("objects/cd/two", source));
        CHECK(stdfs::exists(second)); // this process swept objects/cd already
        auto next_process = open_local_backend(root);
        REQUIRE(next_process->put("objects/cd/three", source));
        CHECK_FALSE(stdfs::exists(second));
        CHECK(fs::read_file(root / "objects/cd/three") == "content");
        stdfs::remove_all(root);
    }

    TEST_CASE("open: relative directories are refused") {
        CHECK_THROWS_AS(open_local_backend("relative/dir"), Error);
    }
}
