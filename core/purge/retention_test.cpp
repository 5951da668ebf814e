#include "core/catalog/testing.hpp"
#include "core/purge/retention.hpp"
#include "core/purge/testing.hpp"

#include <doctest/doctest.h>
#include <set>

using namespace cairn;
using namespace cairn::purge;

TEST_SUITE("core::purge::retention") {
    TEST_CASE("glob_match: ** crosses '/', * and ? do not") {
        CHECK(glob_match("tmp/**", "tmp/a"));
        CHECK(glob_match("tmp/**", "tmp/a/b/c.csv"));
        CHECK_FALSE(glob_match("tmp/**", "tmpx/a"));
        CHECK_FALSE(glob_match("tmp/**", "other/tmp/a"));
        CHECK(glob_match("tmp/*", "tmp/a.csv"));
        CHECK_FALSE(glob_match("tmp/*", "tmp/a/b.csv"));
        CHECK(glob_match("*.csv", "x.csv"));
        CHECK_FALSE(glob_match("*.csv", "d/x.csv"));
        CHECK(glob_match("**.csv", "d/e/x.csv"));
        CHECK(glob_match("a/**/b", "a/b"));
        CHECK(glob_match("a/**/b", "a/x/y/b"));
        CHECK_FALSE(glob_match("a/**/b", "a/x/y/c"));
        CHECK(glob_match("run-?/out", "run-1/out"));
        CHECK_FALSE(glob_match("run-?/out", "run-/out"));
        CHECK_FALSE(glob_match("a?b", "a/b"));
        CHECK(glob_match("exact/key", "exact/key"));
        CHECK_FALSE(glob_match("exact/key", "exact/key2"));
        CHECK(glob_match("**", "anything/at/all"));
        CHECK(glob_match("*", ""));
        CHECK_FALSE(glob_match("", "x"));
    }

    TEST_CASE("glob_match: many stars on a long key stay fast") {
        std::string key(1000, 'a');
        CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*a*a*b", key));
        CHECK_FALSE(glob_match("**a**a**a**a**a**a**b", key));
    }

    TEST_CASE("plan_retention: max_age deletes old versions, keep_versions keeps the newest N") {
        testing::Fixture f;
        const int64_t day = 86'400'000, now = 100 * day;
        auto t1 = f.add("tmp/x", now - 10 * day);
        auto t2 = f.add("tmp/deep/y", now - 8 * day);
        auto t3 = f.add("tmp/z", now - 1 * day);
        auto m1 = f.add("models/m", now - 5 * day);
        auto m2 = f.add("models/m", now - 4 * day);
        auto m3 = f.add("models/m", now - 3 * day);
        auto m4 = f.add("models/m", now - 2 * day);
        auto keep = f.add("keep/k", now - 50 * day);

        std::vector<config::RetentionRule> rules = {{"tmp/**", 7 * day, std::nullopt},
                                                    {"models/*", std::nullopt, 2}};
        auto hits = plan_retention(f.catalog(), rules, now);
        REQUIRE(hits.size() == 2);
        CHECK(hits[0].policy == "tmp/**");
        REQUIRE(hits[0].artifacts.size() == 2);
        std::set<std::string> tmp{hits[0].artifacts[0].uid, hits[0].artifacts[1].uid};
        CHECK(tmp == std::set<std::string>{t1.uid, t2.uid});
        CHECK(hits[0].artifacts[0].why == "older than 7d");
        REQUIRE(hits[1].artifacts.size() == 2);
        std::set<std::string> models{hits[1].artifacts[0].uid, hits[1].artifacts[1].uid};
        CHECK(models == std::set<std::string>{m1.uid, m2.uid});
        (void)t3; (void)m3; (void)m4; (void)keep;
    }

    TEST_CASE("plan_retention: counts only active versions; an artifact is listed under the first rule") {
        testing::Fixture f;
        const int64_t day = 86'400'000, now = 100 * day;
        auto a1 = f.add("d/a", now - 3 * day);
        auto a2 = f.add("d/a", now - 2 * day);
        auto a3 = f.add("d/a", now - 1 * day);
        f.catalog().sql().execute("UPDATE artifact SET state = 'pending_deletion' WHERE uid = '" + a3.uid + "'");
        std::vector<config::RetentionRule> rules = {{"d/**", std::nullopt, 1}, {"**", 5 * day, std::nullopt}};
        auto hits = plan_retention(f.catalog(), rules, now);
        REQUIRE(hits.size() == 1); // the second rule finds nothing left
        REQUIRE(hits[0].artifacts.size() == 1);
        CHECK(hits[0].artifacts[0].uid == a1.uid); // a2 is now the newest active version
        (void)a2;
    }
}
