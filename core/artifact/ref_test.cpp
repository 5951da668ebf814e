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

    TEST_CASE("validate_key: lookalikes are refused") {
        auto message = [](const std::string& key) {
            try {
                artifact::validate_key(key);
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::usage);
                return std::string(e.what());
            }
            return std::string("accepted");
        };
        // NFD "é" (e + U+0301) next to NFC "é" (U+00E9).
        CHECK_NOTHROW(artifact::validate_key("caf\xc3\xa9.csv"));
        CHECK(message("cafe\xcc\x81.csv").find("not in Unicode NFC form") != std::string::npos);
        CHECK(message("cafe\xcc\x81.csv").find("caf\xc3\xa9.csv") != std::string::npos); // names the NFC spelling
        CHECK(message("\xe2\x80\xae" "exe.txt").find("U+202E") != std::string::npos);          // right-to-left override
        CHECK(message("a\xe2\x81\xa6" "b").find("U+2066") != std::string::npos);               // left-to-right isolate
        CHECK(message("a\xe2\x80\x8b" "b").find("U+200B") != std::string::npos);               // zero width space
        CHECK(message("a\xef\xbb\xbf" "b").find("U+FEFF") != std::string::npos);               // byte order mark
        CHECK(message("a\xc2\xa0" "b").find("U+00A0") != std::string::npos);                    // no-break space
        CHECK(message("a\xe2\x80\xa8" "b").find("U+2028") != std::string::npos);               // line separator
        CHECK(message("a\xc2\x85" "b").find("U+0085") != std::string::npos);                    // C1 control
        CHECK(message("a\xcd\x8f" "b").find("U+034F") != std::string::npos);                    // combining grapheme joiner
        CHECK(message("dir/").find("ends with '/'") != std::string::npos);
        CHECK_NOTHROW(artifact::validate_key("a b"));                                         // U+0020 is fine
        CHECK_NOTHROW(artifact::validate_key("\xe6\x97\xa5\xe6\x9c\xac/\xd9\x85\xd9\x84\xd9\x81.csv")); // CJK, Arabic
    }

    TEST_CASE("parse_ref: key, key@vN (1 to 9 digits) and uid") {
        auto p = artifact::parse_ref("exp/a.csv@v12");
        CHECK(p.key == "exp/a.csv");
        CHECK(p.version == 12);
        CHECK_FALSE(p.may_be_uid);
        p = artifact::parse_ref("a@v1@v2");
        CHECK(p.key == "a@v1");
        CHECK(p.version == 2);
        for (const char* whole : {"x@v1234567890", "@v1", "a\nb@v1", "x@v", "x@v1y"}) {
            CAPTURE(whole);
            p = artifact::parse_ref(whole);
            CHECK(p.key == whole);
            CHECK_FALSE(p.version);
        }
        CHECK(artifact::parse_ref("0123456789abcdef").may_be_uid);
        CHECK_FALSE(artifact::parse_ref("0123456789abcdew").may_be_uid);
    }

    TEST_CASE("is_valid_utf8") {
        CHECK(artifact::is_valid_utf8("plain"));
        CHECK(artifact::is_valid_utf8("\xf0\x9f\x98\x80"));
        CHECK_FALSE(artifact::is_valid_utf8("\xf0\x9f\x98"));
        CHECK_FALSE(artifact::is_valid_utf8("\xe0\x80\xaf"));
    }
}
