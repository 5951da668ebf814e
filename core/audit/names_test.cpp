#include "core/util/utf8.hpp"
#include "core/audit/names.hpp"
#include "core/audit/test_support.hpp"
#include "core/audit/verify.hpp"
#include "core/instance/actor.hpp"

#include <doctest/doctest.h>

using namespace cairn;
using namespace cairn::audit;
using cairn::audit::testing::AuditFixture;

namespace {

std::vector<std::string> spelled(const NameSet& s, std::string_view word) {
    std::vector<std::string> out;
    for (const auto& h : s.find(word))
        out.push_back(std::string(word.substr(h.begin, h.size)) + ">" + h.name +
                      (h.version ? "@" + std::to_string(*h.version) : ""));
    return out;
}

void event(AuditFixture& f, const std::vector<std::string>& argv, const std::string& action = "test",
           nlohmann::json details = nlohmann::json::object()) {
    Actor a = f.actor;
    a.command_line = redact_command_line(argv);
    append(*f.catalog, a, {action, {}, "ok", std::nullopt, std::move(details)});
}

void artifact(AuditFixture& f, const std::string& key) {
    static int n = 0;
    ++n;
    f.sql("INSERT INTO artifact (uid, key, version, kind, size, created_at) VALUES ('u" + std::to_string(n) + "', '" +
          key + "', 1, 'file', 1, 0)");
}

bool redacted(AuditFixture& f, int64_t seq) {
    return catalog::testing::query_int(*f.catalog, "SELECT COUNT(*) FROM audit_event WHERE redacted_at IS NOT NULL"
                                                   " AND seq = " + std::to_string(seq)) == 1;
}

} // namespace

TEST_SUITE("core::audit::names") {
    TEST_CASE("argv_words: splits what redact_command_line joined, and join_words joins it back") {
        const std::vector<std::vector<std::string>> cases = {
            {"cairn", "ls"},
            {"cairn", "save", "my file.csv", "--key", "people/jane doe.csv"},
            {"sh", "-c", "cat 'a b'; echo \"$HOME\" `x` \\n"},
            {"cairn", "load", "it's.csv", ""},
            {"x", "a'b'c", "'"},
            // Not valid UTF-8 (a Latin-1 file name, a lone continuation byte,
            // a cut sequence): written $'...', valid UTF-8, read back byte for byte.
            {"cairn", "save", "caf\xe9 d'\\x.csv", "--key", "k/\x80", "\xc3", "\xe2\x82 \n\t"},
        };
        for (const auto& argv : cases) {
            const std::string line = redact_command_line(argv);
            CHECK(is_valid_utf8(line));
            CHECK(argv_words(line) == argv);
            CHECK(join_words(argv_words(line)) == line);
        }
        CHECK(redact_command_line({"a\xff" "b"}) == "$'a\\xffb'");
        // Valid UTF-8, even with a control byte, keeps single quotes.
        CHECK(redact_command_line({"caf\xc3\xa9\x01'"}) == "'caf\xc3\xa9\x01'\\'''");
    }

    TEST_CASE("find: the whole word, after '=', pieces of scripts and lists, with @vN; never a longer name") {
        const NameSet s{"people/jane.csv", "a b.csv"};
        CHECK(spelled(s, "people/jane.csv") == std::vector<std::string>{"people/jane.csv>people/jane.csv"});
        CHECK(spelled(s, "people/jane.csv@v12") == std::vector<std::string>{"people/jane.csv@v12>people/jane.csv@12"});
        CHECK(spelled(s, "--key=people/jane.csv") == std::vector<std::string>{"people/jane.csv>people/jane.csv"});
        CHECK(spelled(s, "input=people/jane.csv@v2") == std::vector<std::string>{"people/jane.csv@v2>people/jane.csv@2"});
        CHECK(spelled(s, "cat people/jane.csv; x=people/jane.csv@v1,people/jane.csv") ==
              std::vector<std::string>{"people/jane.csv>people/jane.csv", "people/jane.csv@v1>people/jane.csv@1",
                                       "people/jane.csv>people/jane.csv"});
        CHECK(spelled(s, "a b.csv") == std::vector<std::string>{"a b.csv>a b.csv"});
        // A neighbour that has the name as a prefix or suffix spells nothing.
        CHECK(spelled(s, "people/jane.csv2").empty());
        CHECK(spelled(s, "xpeople/jane.csv").empty());
        CHECK(spelled(s, "people/jane.csv@v").empty());
        CHECK(spelled(s, "people/jane.csv@vx").empty());
        CHECK(spelled(s, "/data/people/jane.csv").empty());
        CHECK(spelled(NameSet{}, "anything").empty());
        CHECK(s.starts_a_name("people/ja"));
        CHECK(s.starts_a_name("people/jane.csv"));
        CHECK_FALSE(s.starts_a_name("people/jane.csv2"));
        CHECK_FALSE(s.starts_a_name(""));
    }

    TEST_CASE("EventNameIndex: redacts events spelling a gone name, once; neighbours and held prefixes stay") {
        AuditFixture f;
        artifact(f, "people/jane.csv2"); // a neighbour that stays
        f.catalog->write_transaction([&] {
            event(f, {"cairn", "ls", "people/jane.csv"}, "ls", {{"prefix", "people/jane.csv"}});     // 1
            event(f, {"cairn", "ls", "people/jane.csv2"}, "ls", {{"prefix", "people/jane.csv2"}});   // 2
            event(f, {"cairn", "ls", "people/ja"}, "ls", {{"prefix", "people/ja"}});                 // 3: jane.csv2 holds it
            event(f, {"cairn", "run", "exec", "-p", "in=people/jane.csv", "--", "cat", "x"}, "run.start"); // 4
            event(f, {"cairn", "load", "people/jane.csv", "-o", "/nonexistent/x"}, "load");         // 5
            event(f, {"cairn", "save", "x", "--from", "people/jane.csv@v3"}, "save");               // 6
            event(f, {"cairn", "ls"}, "ls", {{"prefix", ""}});                                      // 7
            event(f, {"cairn", "other"}, "x", {{"error", "no artifact 'people/jane.csv'"}});        // 8
            event(f, {"cairn", "ls", "people/jan"}, "ls", {{"prefix", "people/jan"}});              // 9
        });
        const NameSet names{"people/jane.csv", "people/bob.csv"};
        EventNameIndex index(names);
        index.scan(*f.catalog);
        CHECK(index.events_read() == 9);
        f.catalog->write_transaction([&] { event(f, {"cairn", "load", "people/bob.csv"}, "load"); }); // 10
        int64_t n = 0;
        f.catalog->write_transaction([&] {
            index.scan(*f.catalog); // reads only the new event
            n = index.redact(*f.catalog, NameSet{"people/jane.csv"}, 77);
        });
        CHECK(index.events_read() == 10);
        CHECK(n == 5);
        for (int64_t seq : {1, 4, 5, 6, 8}) CHECK_MESSAGE(redacted(f, seq), "seq ", seq);
        for (int64_t seq : {2, 3, 7, 9, 10}) CHECK_MESSAGE(!redacted(f, seq), "seq ", seq);
        // Once the neighbour is gone too, the prefixes it held leave as well.
        f.sql("UPDATE artifact SET key = NULL");
        f.catalog->write_transaction([&] { n = index.redact(*f.catalog, NameSet{"people/jane.csv"}, 78); });
        CHECK(n == 2); // seq 3 and 9
        CHECK(redacted(f, 3));
        CHECK(redacted(f, 9));
        CHECK_FALSE(redacted(f, 2)); // spells only the neighbour
        f.catalog->write_transaction([&] { n = index.redact(*f.catalog, NameSet{"people/bob.csv"}, 79); });
        CHECK(n == 1);
        CHECK(redacted(f, 10));
        CHECK(verify(*f.catalog).ok());
    }
}
