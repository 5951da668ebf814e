#include "core/artifact/ref.hpp"
#include "core/util/error.hpp"

#include <doctest/doctest.h>

using namespace cairn;

TEST_SUITE("core::artifact::ref") {
    TEST_CASE("validate_key: accepts ordinary keys") {
        CHECK_NOTHROW(artifact::validate_key("exp/results.csv"));
        CHECK_NOTHROW(artifact::validate_key("données/été.parquet"));
        CHECK_NOTHROW(artifact::validate_key("a b+c=d~e%f"));
        CHECK_NOTHROW(artifact::validate_key("x@v1y"));
        CHECK_NOTHROW(artifact::validate_key("x@v"));
        CHECK_NOTHROW(artifact::validate_key("x@vv1"));
        CHECK_NOTHROW(artifact::validate_key("x@V1"));
    }

    TEST_CASE("validate_key: refuses hostile keys") {
        for (std::string bad : {std::string(""), std::string("../x"), std::string("a/../b"), std::string("/abs"),
                                std::string("a//b"), std::string("a/./b"), std::string("a\nb"), std::string("a\0b", 3),
                                std::string("bad\xff"), std::string("\xc0\xaf"), std::string("x@v12"), std::string("@v0"), std::string("a@v@v3"),
                                std::string(1025, 'a'), std::string("\xed\xa0\x80")}) {
            CHECK_THROWS_AS(artifact::validate_key(bad), Error);
        }
        CHECK_NOTHROW(artifact::validate_key(std::string(1024, 'a')));
        // The form of a uid, which a REF would take for one.
        CHECK_THROWS_AS(artifact::validate_key("0123456789abcdev"), Error);
        CHECK_NOTHROW(artifact::validate_key("0123456789abcdew"));  // 'w' is not in a uid
        CHECK_NOTHROW(artifact::validate_key("0123456789abcde"));   // 15 characters
        CHECK_NOTHROW(artifact::validate_key("0123456789abcdev.csv"));
    }

    TEST_CASE("is_valid_utf8") {
        CHECK(artifact::is_valid_utf8("plain"));
        CHECK(artifact::is_valid_utf8("\xf0\x9f\x98\x80"));
        CHECK_FALSE(artifact::is_valid_utf8("\xf0\x9f\x98"));
        CHECK_FALSE(artifact::is_valid_utf8("\xe0\x80\xaf"));
    }
}
