#include "core/util/suggest.hpp"

#include <doctest/doctest.h>

using namespace cairn;

TEST_SUITE("core::util::suggest") {
    TEST_CASE("edit_distance: insertions, deletions and substitutions") {
        CHECK(edit_distance("", "") == 0);
        CHECK(edit_distance("load", "load") == 0);
        CHECK(edit_distance("lod", "load") == 1);
        CHECK(edit_distance("sav", "save") == 1);
        CHECK(edit_distance("purg", "purge") == 1);
        CHECK(edit_distance("kitten", "sitting") == 3);
        CHECK(edit_distance("", "abc") == 3);
    }
    TEST_CASE("closest_match: suggests near names only") {
        const std::vector<std::string> names = {"init", "save", "load", "ls", "lineage", "purge"};
        CHECK(closest_match("lod", names) == "load");
        CHECK(closest_match("lineag", names) == "lineage");
        CHECK(closest_match("svae", names) == "save");
        CHECK_FALSE(closest_match("x", names).has_value());
        CHECK_FALSE(closest_match("completely-different", names).has_value());
    }
}
