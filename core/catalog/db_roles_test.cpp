#include "core/catalog/db_roles.hpp"
#include "core/util/fs.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace cairn;

TEST_SUITE("core::catalog::db_roles") {
    TEST_CASE("db roles: docs/TEAMS.md gives exactly the SQL init runs") {
        const std::string doc = fs::read_file(std::filesystem::path(CAIRN_SOURCE_DIR) / "docs/TEAMS.md");
        const auto grants = catalog::db_role_grants("teamdb");
        REQUIRE(grants.size() > 4);
        std::string block;
        for (const auto& g : grants) block += g + ";\n";
        CHECK_MESSAGE(doc.find("```sql\n" + block + "```") != std::string::npos,
                      "docs/TEAMS.md's SQL block differs from db_role_grants(\"teamdb\")");
    }

    TEST_CASE("db roles: names are quoted, so a database name cannot inject SQL") {
        for (const auto& g : catalog::db_role_grants("x\" TO PUBLIC; --"))
            if (g.find("TO ") != std::string::npos) CHECK(g.find("\"cairn_x\"\" TO PUBLIC; --_") != std::string::npos);
    }
}
