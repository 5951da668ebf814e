#include "core/catalog/db/pg_url.hpp"

#include "core/util/error.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using cairn::catalog::db::pg_target;

namespace {

int kind_of(const std::string& url, bool allow_plain) {
    try {
        pg_target(url, allow_plain);
        return -1;
    } catch (const cairn::Error& e) {
        return static_cast<int>(e.kind());
    }
}

} // namespace

TEST_SUITE("core::catalog::db::url") {
    TEST_CASE("pg_target: verify-full by default, never a password, plain only to this machine when allowed") {
        ::unsetenv("PGSSLMODE");
        ::unsetenv("PGGSSENCMODE");
        auto t = pg_target("postgresql://ann@db.example.com:5432/cairn", false);
        CHECK(t.conninfo == "postgresql://ann@db.example.com:5432/cairn?sslmode=verify-full&gssencmode=disable");
        CHECK(pg_target("postgresql://db.example.com/cairn?application_name=x", false).conninfo ==
              "postgresql://db.example.com/cairn?application_name=x&sslmode=verify-full&gssencmode=disable");
        CHECK(pg_target("postgresql://db/c?sslmode=verify-full", false).conninfo ==
              "postgresql://db/c?sslmode=verify-full&gssencmode=disable");

        const int config = static_cast<int>(cairn::ErrorKind::config);
        CHECK(kind_of("postgresql://ann:secret@db/cairn", false) == config);
        CHECK(kind_of("postgresql://db/cairn?password=secret", false) == config);
        CHECK(kind_of("mysql://db/cairn", false) == config);
        CHECK(kind_of("postgresql://a,b/cairn", false) == config);
        // Weaker modes: refused without the flag; with it, only to this machine.
        CHECK(kind_of("postgresql://db.example.com/cairn?sslmode=require", false) == config);
        CHECK(kind_of("postgresql://db.example.com/cairn?sslmode=disable", true) == config);
        CHECK(kind_of("postgresql://127.0.0.1:5433/cairn?sslmode=disable", false) == config);
        CHECK(pg_target("postgresql://127.0.0.1:5433/cairn?sslmode=disable", true).conninfo ==
              "postgresql://127.0.0.1:5433/cairn?sslmode=disable&gssencmode=disable");
        CHECK_NOTHROW(pg_target("postgresql://[::1]:5433/cairn?sslmode=prefer", true));
        CHECK_NOTHROW(pg_target("postgresql:///cairn?host=/run/postgresql&sslmode=disable", true));
        ::setenv("PGSSLMODE", "disable", 1);
        CHECK(kind_of("postgresql://db.example.com/cairn", true) == config);
        CHECK(pg_target("postgresql://localhost/cairn", true).conninfo == "postgresql://localhost/cairn?gssencmode=disable");
        ::unsetenv("PGSSLMODE");
    }

    TEST_CASE("pg_target: GSSAPI encryption only when the URL or PGGSSENCMODE asks for it") {
        ::unsetenv("PGSSLMODE");
        ::unsetenv("PGGSSENCMODE");
        CHECK(pg_target("postgresql://db/c?gssencmode=prefer", false).conninfo ==
              "postgresql://db/c?gssencmode=prefer&sslmode=verify-full");
        // "gssencmode" inside another parameter's value is not the setting.
        CHECK(pg_target("postgresql://db/c?application_name=gssencmode", false).conninfo ==
              "postgresql://db/c?application_name=gssencmode&sslmode=verify-full&gssencmode=disable");
        ::setenv("PGGSSENCMODE", "require", 1);
        CHECK(pg_target("postgresql://db/c", false).conninfo == "postgresql://db/c?sslmode=verify-full");
        ::unsetenv("PGGSSENCMODE");
    }
}
