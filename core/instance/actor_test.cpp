#include "core/instance/actor.hpp"

#include <doctest/doctest.h>

using cairn::redact_command_line;

TEST_SUITE("core::instance::actor") {
    TEST_CASE("redact_command_line: secrets never survive, ordinary values do") {
        auto r = [](std::vector<std::string> v) { return redact_command_line(v); };
        CHECK(r({"cairn", "run", "exec", "--param", "token=abc"}) == "cairn run exec --param token=***");
        CHECK(r({"cairn", "--param=token=abc"}).find("abc") == std::string::npos);
        CHECK(r({"cairn", "--password", "hunter2"}).find("hunter2") == std::string::npos);
        CHECK(r({"cairn", "--api-token=xyz"}).find("xyz") == std::string::npos);
        CHECK(r({"cairn", "init", "--storage", "s3://AKIA:secretkey@bucket/p"}).find("secretkey") == std::string::npos);
        CHECK(r({"cairn", "load", "https://h/x?X-Amz-Signature=deadbeef&a=1"}).find("deadbeef") == std::string::npos);
        CHECK(r({"cairn", "save", "a.csv", "--key=exp/a.csv"}) == "cairn save a.csv --key=exp/a.csv");
        CHECK(r({"cairn", "save", "a.csv", "--key", "exp/a.csv"}) == "cairn save a.csv --key exp/a.csv");
    }

    TEST_CASE("redact_text: secrets inside free text") {
        CHECK(cairn::redact_text("no artifact 'token=abc123'") == "no artifact 'token=***'");
        CHECK(cairn::redact_text("get https://u:pw@h/x?sig=1&api_key=zz failed").find("pw") == std::string::npos);
        CHECK(cairn::redact_text("get https://h/x?api_key=zz").find("zz") == std::string::npos);
        CHECK(cairn::redact_text("plain text, a=b") == "plain text, a=b");
    }

    TEST_CASE("current_actor: identity falls back to the OS user") {
        auto a = cairn::current_actor({"cairn", "ls"}, "");
        CHECK(a.identity == a.os_user);
        CHECK(a.pid > 0);
        CHECK(!a.host.empty());
        CHECK(cairn::current_actor({"cairn"}, "ci-bot").identity == "ci-bot");
    }
}
