#include "core/config/config.hpp"
#include "core/util/error.hpp"

#include "tests/unit/support.hpp"

#include <doctest/doctest.h>

using namespace cairn;

namespace {
const char* k_minimal = "version: 1\ninstance_id: 0123456789abcdev\nstorage:\n  url: /tmp/x\n";

std::string error_of(const std::string& yaml) {
    try {
        config::parse(yaml, "config.yaml");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::config);
        return e.what();
    }
    return "";
}
} // namespace

TEST_SUITE("core::config") {
    TEST_CASE("parse: minimal config gets defaults") {
        auto c = config::parse(k_minimal, "config.yaml");
        CHECK(c.instance_id == "0123456789abcdev");
        CHECK(c.storage.url == "/tmp/x");
        CHECK(c.purge_deadline_ms == config::k_max_deadline_ms);
        CHECK(c.cache_max_bytes == (10ull << 30));
    }

    TEST_CASE("parse: unknown keys are rejected with file and line") {
        auto msg = error_of(std::string(k_minimal) + "colour: blue\n");
        CHECK(msg.find("config.yaml:5") != std::string::npos);
        CHECK(msg.find("colour") != std::string::npos);
        CHECK(error_of(std::string(k_minimal) + "cache:\n  max: 3\n").find("cache.max") != std::string::npos);
        // The error lists the keys there are (no command does): the hint
        // used to name 'cairn config --help', which does not exist.
        CHECK(msg.find("known keys: ") != std::string::npos);
        CHECK(msg.find("cache.max_size") != std::string::npos);
        CHECK(msg.find("retention") != std::string::npos);
        try {
            config::parse(std::string(k_minimal) + "colour: blue\n", "config.yaml");
        } catch (const Error& e) {
            CHECK(e.hint().find("cairn config") == std::string::npos);
        }
    }

    TEST_CASE("parse: syntax errors, wrong types and limits") {
        CHECK(error_of("storage: [unclosed\n").find("config.yaml:") == 0);
        CHECK(error_of("- a\n- b\n").find("mapping") != std::string::npos);
        CHECK(error_of(std::string(k_minimal) + "purge:\n  deadline: 31d\n").find("30d") != std::string::npos);
        CHECK(error_of(std::string(k_minimal) + "storage:\n  allow_http: maybe\n") != "");
        CHECK(error_of("version: 1\nstorage:\n  url: /x\n").find("instance_id") != std::string::npos);
    }

    TEST_CASE("parse: an instance_id other than init's 16 characters is refused (it names paths)") {
        for (const char* id : {"../..", "/", "..", "0123456789abcdew", "0123456789ABCDEF", "0123456789abcde",
                               "0123456789abcdef0", "\"../../0123456789\""}) {
            const std::string text = "version: 1\ninstance_id: " + std::string(id) + "\nstorage:\n  url: /x\n";
            CHECK_MESSAGE(error_of(text).find("'instance_id' must be") != std::string::npos, id);
        }
    }

    TEST_CASE("parse: retention rules") {
        auto c = config::parse(std::string(k_minimal) +
                                   "retention:\n  - match: \"tmp/**\"\n    max_age: 7d\n  - match: m/*\n    keep_versions: 5\n",
                               "config.yaml");
        REQUIRE(c.retention.size() == 2);
        CHECK(c.retention[0].max_age_ms == 7 * 86'400'000LL);
        CHECK(c.retention[1].keep_versions == 5);
        CHECK(error_of(std::string(k_minimal) + "retention:\n  - match: x\n") != "");
        CHECK(error_of(std::string(k_minimal) + "retention:\n  - match: x\n    keep_versions: 0\n") != "");
        // 18446744073709552 s * 1000 wraps to 0 ms: "delete at once".
        CHECK(error_of(std::string(k_minimal) + "retention:\n  - match: x\n    max_age: 18446744073709552s\n")
                  .find("out of range") != std::string::npos);
        CHECK(error_of(std::string(k_minimal) + "cache:\n  max_size: 16777216TiB\n").find("out of range") !=
              std::string::npos);
        CHECK(error_of(std::string(k_minimal) + "purge:\n  grace: 213503982335d\n").find("out of range") !=
              std::string::npos);
    }

    TEST_CASE("to_yaml: round trips") {
        auto c = config::parse(std::string(k_minimal) + "purge:\n  grace: 2d\n  deadline: 10d\nidentity: alice\n", "c");
        auto back = config::parse(config::to_yaml(c), "c");
        CHECK(back.purge_grace_ms == c.purge_grace_ms);
        CHECK(back.purge_deadline_ms == c.purge_deadline_ms);
        CHECK(back.identity == "alice");
        CHECK(back.storage.url == c.storage.url);
    }

    TEST_CASE("to_yaml: every setting reads back as it was (tests/fuzz/regressions/config)") {
        auto c = config::parse(std::string(k_minimal) +
                                   "cache:\n  max_size: 1000000\n"
                                   "retention:\n  - match: 'say \"hi\"\\\\**'\n    max_age: 1d\n"
                                   "  - match: \"a/b: #c\"\n    keep_versions: 3\n",
                               "c");
        REQUIRE(c.retention.size() == 2);
        CHECK(c.retention[0].match == "say \"hi\"\\\\**");
        CHECK(config::parse(config::to_yaml(c), "c") == c);
        CHECK(config::parse(config::to_yaml(c), "c").cache_max_bytes == 1000000);
    }

    TEST_CASE("parse: values must be UTF-8 text without control characters") {
        CHECK(error_of("version: 1\ninstance_id: 0123456789abcdev\nstorage:\n  url: \"/tmp/\xff\"\n").find("UTF-8") !=
              std::string::npos);
        CHECK(error_of("version: 1\ninstance_id: 0123456789abcdev\nstorage:\n  url: \"/tmp/a\\x01b\"\n").find("control") !=
              std::string::npos);
        CHECK(config::parse("version: 1\ninstance_id: 0123456789abcdev\nname: caf\xc3\xa9\nstorage:\n  url: /tmp/x\n", "c").name ==
              "caf\xc3\xa9");
    }

    TEST_CASE("parse_size") {
        CHECK(config::parse_size("512MiB") == 512ull << 20);
        CHECK(config::parse_size("100") == 100);
        CHECK_THROWS_AS(config::parse_size("5 parsecs"), Error);
        CHECK(config::parse_size("1024TiB") == 1ull << 50);
        // Sizes that would wrap around 2^64 are refused, never shrunk.
        for (const char* text : {"16777216TiB", "18446744073709551617", "99999999999999999999MiB", "1025TiB", "MiB"}) {
            CAPTURE(text);
            CHECK(test_support::kind_of([&] { config::parse_size(text); }) == ErrorKind::usage);
        }
    }
}
