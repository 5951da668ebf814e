#include "core/util/utf8.hpp"
#include "core/instance/actor.hpp"

#include <cstdio>
#include <cctype>
#include <doctest/doctest.h>

#include <random>
#include <regex>

namespace {

// The std::regex patterns redaction used before it was matched by hand
// (compiling them cost every command ~3 ms); the hand-written matchers must
// agree with them on every input.
namespace reference {

bool is_secret_flag(const std::string& arg) {
    static const std::regex k_secret(R"(^--?[A-Za-z0-9_-]*(secret|password|passphrase|token|credential)[A-Za-z0-9_-]*$)",
                                     std::regex::icase);
    return std::regex_match(arg, k_secret);
}

std::string redact_value(const std::string& value) {
    static const std::regex k_param(R"(^([A-Za-z0-9_.-]*(secret|password|passphrase|token|key)[A-Za-z0-9_.-]*)=.*$)",
                                    std::regex::icase);
    std::smatch m;
    if (std::regex_match(value, m, k_param)) return m[1].str() + "=***";
    static const std::regex k_query(R"(([?&][^=&#]*(secret|password|passphrase|token|signature|credential|key)[^=&#]*=)[^&#]*)",
                                    std::regex::icase);
    std::string out = std::regex_replace(value, k_query, "$1***");
    static const std::regex k_userinfo(R"(^([a-z0-9+.-]+://)[^/@:]*:[^/@]*@)", std::regex::icase);
    return std::regex_replace(out, k_userinfo, "$1***@");
}

std::string redact_arg(const std::string& arg) {
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("-", 0) == 0) {
        if (is_secret_flag(arg.substr(0, eq))) return arg.substr(0, eq + 1) + "***";
        return arg.substr(0, eq + 1) + redact_value(arg.substr(eq + 1));
    }
    return redact_value(arg);
}

std::string quote_if_needed(const std::string& arg) {
    if (!cairn::is_valid_utf8(arg)) {
        // $'...': a byte stays when it starts a valid sequence that is not an
        // ASCII control, ' or \; everything else becomes \xNN.
        std::string out = "$'";
        for (size_t i = 0; i < arg.size();) {
            size_t len = 0;
            for (size_t n = 1; n <= 4 && i + n <= arg.size() && len == 0; ++n)
                if (cairn::is_valid_utf8(arg.substr(i, n))) len = n;
            const unsigned char c = static_cast<unsigned char>(arg[i]);
            if (len > 1 || (len == 1 && std::isprint(c) && c != '\'' && c != '\\')) {
                out += arg.substr(i, len);
                i += len;
            } else {
                char hex[5];
                std::snprintf(hex, sizeof hex, "\\x%02x", c);
                out += hex;
                ++i;
            }
        }
        return out + "'";
    }
    if (!arg.empty() && arg.find_first_of(" \t\n'\"\\$`") == std::string::npos) return arg;
    std::string out = "'";
    for (char c : arg) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string redact_command_line(const std::vector<std::string>& argv) {
    std::string out;
    bool redact_next = false;
    for (const auto& arg : argv) {
        if (!out.empty()) out += ' ';
        if (redact_next) {
            out += "***";
            redact_next = false;
            continue;
        }
        if (is_secret_flag(arg)) redact_next = true;
        out += quote_if_needed(redact_arg(arg));
    }
    return out;
}

std::string redact_text(const std::string& text) {
    static const std::regex k_pair(R"(([A-Za-z0-9_.-]*(secret|password|passphrase|token|key|credential|signature)[A-Za-z0-9_.-]*=)[^\s'"&,;]*)",
                                   std::regex::icase);
    static const std::regex k_userinfo(R"(([a-z0-9+.-]+://)[^/@:\s]*:[^/@\s]*@)", std::regex::icase);
    if (text.find_first_of("=@") == std::string::npos) return text;
    return std::regex_replace(std::regex_replace(text, k_pair, "$1***"), k_userinfo, "$1***@");
}

} // namespace reference

// Strings built from the pieces the patterns care about.
std::string random_text(std::mt19937& rng) {
    static const std::vector<std::string> k_pieces = {
        "-", "--", "=", "&", "?", "#", "@", ":", "/", "://", " ", "\t", "\n", "\r", "\v", ".", "_", "+",
        "'", "\"", ",", ";", "a", "Z", "0", "x", "token", "TOKEN", "Key", "secret", "PassWord", "passphrase",
        "credential", "signature", "sig", "tok", "ke", "https", "s3", "u", "pw", "\xc3\xa9", "\xff", "%", "*"};
    std::uniform_int_distribution<size_t> len(0, 12), pick(0, k_pieces.size() - 1);
    std::string s;
    for (size_t n = len(rng); n > 0; --n) s += k_pieces[pick(rng)];
    return s;
}

} // namespace

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

    TEST_CASE("redaction agrees with the original regular expressions") {
        const std::vector<std::string> fixed = {
            "", "-", "--", "--token", "-x-Token_2", "--tok-en", "--token=", "token=", "token=a\nb", "a.b_key-c=v",
            "key", "=token", "?token=1&a=2#f", "&&token=&token=x", "?a?token=x", "x?sig=1&api_key=zz&b",
            "https://u:pw@h/x", "HTTPS://u:p:w@h", "s3://a@b:c@d", "://u:p@h", "s+3.x-y://:@", "https://u@h:p@",
            "get https://u:pw@h/x?sig=1&api_key=zz failed", "a xtoken=1,b key=\"q\" ok", "token=abc;d signature=e f",
            "x.y-z_token=1 token==2 =token=3", "http://a:b@c http://d:e@f", "h://a:b c@d", "\xc3\xa9token=1",
            "no artifact 'token=abc123'", "plain text, a=b", "a@b", "key=value@host", "url=https://u:p@h?tok=1"};
        for (const auto& s : fixed) {
            CAPTURE(s);
            CHECK(cairn::redact_text(s) == reference::redact_text(s));
            CHECK(redact_command_line({"cairn", s}) == reference::redact_command_line({"cairn", s}));
            CHECK(redact_command_line({s, "v"}) == reference::redact_command_line({s, "v"}));
        }
        std::mt19937 rng(20261129);
        for (int n = 0; n < 20000; ++n) {
            std::string a = random_text(rng), b = random_text(rng);
            CAPTURE(a);
            CAPTURE(b);
            REQUIRE(cairn::redact_text(a) == reference::redact_text(a));
            REQUIRE(redact_command_line({a, b}) == reference::redact_command_line({a, b}));
            REQUIRE(redact_command_line({"-" + a, b}) == reference::redact_command_line({"-" + a, b}));
        }
    }
}
