#include "core/util/json_writer.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace cairn;

namespace {

std::string nlohmann_text(const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

TEST_SUITE("core::util::JsonWriter") {
    TEST_CASE("writes what nlohmann dumps: nesting, empty containers, scalars") {
        std::string out;
        JsonWriter w(out);
        w.begin_object();
        w.key("a").begin_array();
        w.number(-1).number(INT64_MAX).boolean(true).boolean(false).null();
        w.begin_object().end_object();
        w.begin_array().end_array();
        w.begin_object().key("x").string("y").end_object();
        w.end_array();
        w.key("b").string_or_null(std::nullopt).key("c").number_or_null(7);
        w.key("d").begin_object().key("e").begin_array().string("f").end_array().end_object();
        w.end_object();

        nlohmann::json j = nlohmann::json::object();
        j["a"] = {-1,
                  INT64_MAX,
                  true,
                  false,
                  nullptr,
                  nlohmann::json::object(),
                  nlohmann::json::array(),
                  {{"x", "y"}}};
        j["b"] = nullptr;
        j["c"] = 7;
        j["d"] = {{"e", {"f"}}};
        CHECK(out == nlohmann_text(j));
    }

    TEST_CASE("string: escapes and UTF-8 repair match nlohmann") {
        const std::string samples[] = {"plain",
                                       "",
                                       "q\"uote",
                                       "back\\slash",
                                       "tab\tnew\nline\r",
                                       std::string("nul\0x", 5),
                                       "\x1f\x7f",
                                       "caf\xc3\xa9 \xe2\x9c\x93",
                                       "bad \xff\xfe utf8",
                                       "cut \xe2\x9c"};
        for (const auto& s : samples) {
            std::string out;
            JsonWriter(out).string(s);
            CHECK(out == nlohmann_text(s));
            std::string keyed;
            JsonWriter(keyed).begin_object().key(s).number(1).end_object();
            CHECK(keyed == nlohmann_text(nlohmann::json{{s, 1}}));
        }
    }

    TEST_CASE("top-level scalars and appending to existing text") {
        std::string out = "x";
        JsonWriter(out).number(42);
        CHECK(out == "x42");
    }
}
