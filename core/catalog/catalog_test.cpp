#include "core/catalog/artifacts.hpp"
#include "core/catalog/catalog.hpp"
#include "core/catalog/copy_rows.hpp"
#include "core/catalog/seals.hpp"
#include "core/catalog/pending_uploads.hpp"
#include "core/catalog/testing.hpp"
#include "core/util/error.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include <stdexcept>

using namespace cairn;
namespace stdfs = std::filesystem;

namespace {
// The catalog keeps its -wal and -shm files after closing (PERSIST_WAL).
void remove_catalog(const stdfs::path& db) {
    for (const char* suffix : {"", "-wal", "-shm"}) stdfs::remove(db.string() + suffix);
}
} // namespace

TEST_SUITE("core::catalog") {
    TEST_CASE("open: migrates to the latest version with WAL, foreign keys and secure_delete") {
        auto path = stdfs::temp_directory_path() / ("cairn-cat-" + random_hex(6) + ".db");
        {
            auto c = catalog::Catalog::open(path, true);
            CHECK(c->schema_version() == catalog::latest_schema_version());
            CHECK(c->db().execAndGet("PRAGMA journal_mode").getString() == "wal");
            CHECK(c->db().execAndGet("PRAGMA foreign_keys").getInt() == 1);
            CHECK(c->db().execAndGet("PRAGMA secure_delete").getInt() == 1);
        }
        auto again = catalog::Catalog::open(path);
        CHECK(again->schema_version() == catalog::latest_schema_version());
        CHECK(((stdfs::status(path).permissions() & stdfs::perms::others_read) == stdfs::perms::none));
        remove_catalog(path);
    }

    TEST_CASE("open: refuses a newer schema and a missing file") {
        auto path = stdfs::temp_directory_path() / ("cairn-cat-" + random_hex(6) + ".db");
        {
            auto c = catalog::Catalog::open(path, true);
            c->db().exec("PRAGMA user_version=999");
        }
        CHECK_THROWS(catalog::Catalog::open(path));
        CHECK_THROWS(catalog::Catalog::open(path.string() + ".missing"));
        remove_catalog(path);
    }

    TEST_CASE("read_transaction: one snapshot while another connection writes") {
        auto path = stdfs::temp_directory_path() / ("cairn-cat-" + random_hex(6) + ".db");
        auto reader = catalog::Catalog::open(path, true);
        auto writer = catalog::Catalog::open(path);
        auto count = [&] {
            return reader->db().execAndGet("SELECT COUNT(*) FROM storage").getInt();
        };
        auto add = [&](const char* url) {
            writer->write_transaction([&] {
                sql::Statement q(writer->sql(),
                                    "INSERT INTO storage (url, created_at) VALUES (?, 0)");
                q.bind(1, url);
                q.exec();
            });
        };
        reader->read_transaction([&] {
            CHECK(count() == 0);
            add("/a");
            CHECK(count() == 0); // still the snapshot the transaction began with
        });
        CHECK(count() == 1);
        // Inside a write transaction it just runs the body (no nested BEGIN).
        reader->write_transaction([&] { reader->read_transaction([&] { CHECK(count() == 1); }); });
        CHECK_THROWS_AS(reader->read_transaction([] { throw std::runtime_error("x"); }),
                        std::runtime_error);
        add("/b"); // the failed transaction was closed, so the reader sees this row
        CHECK(count() == 2);
        reader.reset();
        writer.reset();
        remove_catalog(path);
    }

    TEST_CASE("insert_artifact: versions count up and is_latest moves") {
        auto path = stdfs::temp_directory_path() / ("cairn-cat-" + random_hex(6) + ".db");
        auto c = catalog::Catalog::open(path, true);
        c->db().exec("INSERT INTO storage (url, created_at) VALUES ('/s', 0)");
        for (int i = 0; i < 3; ++i) {
            catalog::ArtifactRow r;
            r.uid = new_uid();
            r.key = "k";
            r.kind = "file";
            r.hash = "h" + std::to_string(i);
            r.storage_id = 1;
            r.object_name = "objects/x" + std::to_string(i);
            r.wrapped_key = std::string("\0\1\2", 3);
            c->write_transaction([&] { catalog::insert_artifact(*c, r); });
            CHECK(r.version == i + 1);
        }
        auto latest = catalog::find_latest(*c, "k");
        REQUIRE(latest);
        CHECK(latest->version == 3);
        CHECK(latest->wrapped_key == std::string("\0\1\2", 3));
        CHECK(catalog::list_artifacts(*c, "", false).size() == 1);
        CHECK(catalog::list_artifacts(*c, "", true).size() == 3);
        CHECK(catalog::list_artifacts(*c, "%", true).empty());
        CHECK(catalog::find_same_content(*c, "k", "h1")->version == 2);
        remove_catalog(path);
    }
}

namespace {

// A fresh test catalog (SQLite, or PostgreSQL under tests/pg/) in a temp
// directory that goes with it.
struct FreshCatalog {
    FreshCatalog() {
        stdfs::create_directories(dir);
        c = catalog::testing::open_test_catalog(dir);
    }
    ~FreshCatalog() {
        c.reset();
        stdfs::remove_all(dir);
    }
    stdfs::path dir = stdfs::temp_directory_path() / ("cairn-db-" + random_hex(6));
    std::unique_ptr<catalog::Catalog> c;
};

} // namespace

// Run on both catalogs (tests/pg/test_catalog.sh selects core::catalog::db*).
TEST_SUITE("core::catalog::db::transactions") {
    // PostgreSQL only warns about a nested BEGIN, and the inner COMMIT would
    // commit the outer transaction's work early: both catalogs refuse it, and
    // the outer transaction rolls back whole.
    TEST_CASE("write_transaction: a nested one is refused and the outer rolls back") {
        FreshCatalog fresh;
        auto& c = fresh.c;
        const int64_t before = catalog::testing::query_int(*c, "SELECT COUNT(*) FROM storage");
        CHECK_THROWS_WITH_AS(c->write_transaction([&] {
            c->sql().execute("INSERT INTO storage (url, created_at) VALUES ('/nested', 0)");
            c->write_transaction([&] {});
        }), doctest::Contains("opened inside another"), Error);
        CHECK_FALSE(c->sql().in_transaction());
        CHECK(catalog::testing::query_int(*c, "SELECT COUNT(*) FROM storage") == before);
    }
    // A save forgets all its objects in one statement; other saves' stay.
    TEST_CASE("forget_pending_uploads_in_transaction: exactly the names given") {
        FreshCatalog fresh;
        auto& c = fresh.c;
        c->sql().execute("INSERT INTO storage (url, created_at) VALUES ('/pending', 0)");
        const int64_t storage = catalog::testing::query_int(*c, "SELECT id FROM storage WHERE url = '/pending'");
        c->write_transaction([&] {
            for (const char* name : {"objects/aa/1", "objects/aa/1.k1.key", "objects/bb/2", "objects/bb/2.k1.key"})
                catalog::add_pending_upload_in_transaction(*c, name, storage, 1, "host", 1);
        });
        c->write_transaction([&] {
            catalog::forget_pending_uploads_in_transaction(*c, {"objects/aa/1", "objects/aa/1.k1.key", "objects/cc/none"});
            catalog::forget_pending_uploads_in_transaction(*c, {});
        });
        CHECK(catalog::pending_upload_names(*c) == std::vector<std::string>{"objects/bb/2", "objects/bb/2.k1.key"});
        c->write_transaction([&] { catalog::forget_pending_upload_in_transaction(*c, "objects/bb/2.k1.key"); });
        CHECK(catalog::pending_upload_names(*c) == std::vector<std::string>{"objects/bb/2"});
    }

    // catalog migrate's copy: rows in batches, so more rows than one batch
    // holds and a short last batch; every kind of value kept as stored.
    TEST_CASE("copy_rows: every row and value, across batches") {
        FreshCatalog source_dir;
        const auto source_path = source_dir.dir / "source.db";
        auto from = catalog::Catalog::open(source_path, true);
        constexpr int k_rows = 1234;
        from->write_transaction([&] {
            sql::Statement q(from->sql(), "INSERT INTO storage (url, created_at) VALUES (?, ?)");
            for (int i = 0; i < k_rows; ++i) {
                q.bind(1, "/store/" + std::to_string(i) + (i % 7 ? "" : " \xc3\xa9"));
                q.bind(2, static_cast<int64_t>(i) * 1000003);
                q.exec();
                q.reset();
            }
            from->sql().execute("INSERT INTO instance_info (name, value) VALUES ('test_copied', 'yes')");
        });
        FreshCatalog to;
        std::vector<std::pair<std::string, int64_t>> copied;
        to.c->write_transaction([&] { copied = catalog::copy_rows(*from, *to.c); });
        CHECK(std::find(copied.begin(), copied.end(), std::pair<std::string, int64_t>("storage", k_rows)) != copied.end());
        const std::string rows = "SELECT id, url, created_at FROM storage ORDER BY id";
        sql::Statement a(from->sql(), rows), b(to.c->sql(), rows);
        int compared = 0;
        while (a.executeStep()) {
            REQUIRE(b.executeStep());
            CHECK(a.getColumn(0).getInt64() == b.getColumn(0).getInt64());
            CHECK(a.getColumn(1).getString() == b.getColumn(1).getString());
            CHECK(a.getColumn(2).getInt64() == b.getColumn(2).getInt64());
            ++compared;
        }
        CHECK_FALSE(b.executeStep());
        CHECK(compared == k_rows);
        CHECK(catalog::instance_info(*to.c, "test_copied") == std::optional<std::string>("yes"));
    }

    // Rows come a page at a time: more than a page, in id order, each once,
    // only those holding a wrapped key, and the visitor may update rows
    // (key rotation and catalog migrate rewrite the row they are given).
    TEST_CASE("for_each_sealed_artifact: every sealed row once, in order, across pages") {
        FreshCatalog fresh;
        auto& c = fresh.c;
        const int64_t k_rows = 2 * catalog::k_sealed_page + 345;
        std::vector<int64_t> sealed;
        c->write_transaction([&] {
            c->sql().execute("INSERT INTO storage (url, created_at) VALUES ('/paged', 0)");
            sql::Statement q(c->sql(), "INSERT INTO artifact (uid, key, version, kind, size, storage_id, wrapped_key, key_id,"
                                       " state, created_at) VALUES (?, ?, 1, 'file', 1, (SELECT id FROM storage WHERE url = '/paged'),"
                                       " ?, 'k1', ?, 0)");
            const std::byte wrapped[] = {std::byte{1}, std::byte{2}};
            for (int64_t i = 0; i < k_rows; ++i) {
                const bool has_key = i % 10 != 3; // a purged artifact's row keeps no key
                q.bind(1, "u" + std::to_string(i));
                q.bind(2, "paged/" + std::to_string(i));
                if (has_key) q.bind(3, std::span<const std::byte>(wrapped)); else q.bind(3);
                q.bind(4, has_key ? "active" : "deleted");
                q.exec();
                q.reset();
            }
            sql::Statement ids(c->sql(), "SELECT id FROM artifact WHERE wrapped_key IS NOT NULL ORDER BY id");
            while (ids.executeStep()) sealed.push_back(ids.getColumn(0).getInt64());
        });
        REQUIRE(static_cast<int64_t>(sealed.size()) > 2 * catalog::k_sealed_page);
        std::vector<int64_t> visited;
        c->write_transaction([&] {
            catalog::for_each_sealed_artifact(*c, [&](catalog::ArtifactRow& row) {
                visited.push_back(row.id);
                sql::Statement update(c->sql(), "UPDATE artifact SET key_id = 'k2' WHERE id = ?");
                update.bind(1, row.id);
                update.exec();
            });
        });
        CHECK(visited == sealed);
        CHECK(catalog::testing::query_int(*c, "SELECT COUNT(*) FROM artifact WHERE key_id = 'k2'") ==
              static_cast<int64_t>(sealed.size()));
    }

    // A write-once value is read once; a value read inside a transaction
    // that rolls back is not kept.
    TEST_CASE("write_once_info: read once, forgotten when its transaction rolls back") {
        FreshCatalog fresh;
        auto& c = fresh.c;
        CHECK_FALSE(c->write_once_info("test_once"));
        CHECK_THROWS_AS(c->write_transaction([&] {
            c->sql().execute("INSERT INTO instance_info (name, value) VALUES ('test_once', 'undone')");
            CHECK(c->write_once_info("test_once") == std::optional<std::string>("undone"));
            throw Error(ErrorKind::internal, "roll back");
        }), Error);
        CHECK_FALSE(c->write_once_info("test_once"));
        c->write_transaction([&] { c->sql().execute("INSERT INTO instance_info (name, value) VALUES ('test_once', 'kept')"); });
        CHECK(c->write_once_info("test_once") == std::optional<std::string>("kept"));
        // Changed behind its back (which nothing in cairn does), the value stays as first read.
        c->write_transaction([&] { c->sql().execute("UPDATE instance_info SET value = 'changed' WHERE name = 'test_once'"); });
        CHECK(c->write_once_info("test_once") == std::optional<std::string>("kept"));
        CHECK(catalog::instance_info(*c, "test_once") == std::optional<std::string>("changed"));
    }
}
