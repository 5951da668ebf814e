#include "core/storage/conformance.hpp"
#include "core/storage/local/local_backend.hpp"
#include "core/util/error.hpp"
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

    TEST_CASE("open: relative directories are refused") {
        CHECK_THROWS_AS(open_local_backend("relative/dir"), Error);
    }
}
