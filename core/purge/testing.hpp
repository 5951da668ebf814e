#pragma once
// Test fixture for core/purge unit tests: a fresh catalog and a local
// storage directory in a temp dir, and helpers to add artifacts and runs.
#include "core/artifact/key_objects.hpp"
#include "core/catalog/artifacts.hpp"
#include "core/catalog/testing.hpp"
#include "core/purge/context.hpp"
#include "core/storage/local/local_backend.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>

namespace cairn::purge::testing {

class Fixture {
public:
    Fixture()
        : m_dir(std::filesystem::temp_directory_path() / ("cairn-purge-" + random_hex(6))),
          m_catalog(catalog::testing::open_test_catalog(m_dir)),
          m_backend(storage::open_local_backend(m_dir / "storage")),
          m_cache(m_dir / "cache", 1ull << 30),
          m_ctx{*m_catalog, m_config, Actor{"tester", "tester", 0, "testhost", 1, "cairn purge run"},
                [this](const std::string&) -> storage::Backend& { return *m_active; }, {}, &m_cache} {
        m_active = m_backend.get();
        m_config.storage.url = (m_dir / "storage").string();
        sql::Statement ins(m_catalog->sql(), "INSERT INTO storage (url, created_at) VALUES (?, 0) RETURNING id");
        ins.bind(1, m_config.storage.url);
        m_storage_id = ins.insertReturningId();
    }
    ~Fixture() {
        std::error_code ec;
        std::filesystem::remove_all(m_dir, ec);
    }

    Context& ctx() { return m_ctx; }
    catalog::Catalog& catalog() { return *m_catalog; }
    config::Config& config() { return m_config; }
    storage::Backend& backend() { return *m_backend; }
    cache::Cache& cache() { return m_cache; }
    const std::filesystem::path& dir() const { return m_dir; }
    // Route purge's storage through another backend (faults).
    void use_backend(storage::Backend* b) { m_active = b ? b : m_backend.get(); }
    // Rows added from now on keep their wrapped key in the row even on
    // PostgreSQL, as a cairn without key objects saved them.
    void keep_keys_in_rows() { m_keys_in_rows = true; }
    // The key object of `row` in storage, or "" when its key is in the row.
    std::string key_object_of(const catalog::ArtifactRow& row) const {
        return artifact::is_key_reference(row.wrapped_key) ? artifact::key_object_name(row.object_name, row.key_id) : "";
    }

    // A stored artifact with a cache entry, created at `created_at`.
    catalog::ArtifactRow add(const std::string& key, int64_t created_at, std::optional<int64_t> run_id = std::nullopt) {
        catalog::ArtifactRow r = make_row(key, created_at, run_id);
        m_catalog->write_transaction([&] { catalog::insert_artifact(*m_catalog, r); });
        return r;
    }

    // `n` artifacts in one transaction (keys cycle through `keys` names).
    void add_many(const std::string& prefix, int n, int keys) {
        m_catalog->write_transaction([&] {
            for (int i = 0; i < n; ++i) {
                catalog::ArtifactRow r = make_row(prefix + std::to_string(i % keys), i, std::nullopt);
                catalog::insert_artifact(*m_catalog, r);
            }
        });
    }

    // A run that read `inputs`; returns its id.
    int64_t add_run(const std::vector<int64_t>& inputs) {
        sql::Statement transform(m_catalog->sql(), "INSERT INTO transform (uid, key, kind, created_at)"
                                                   " VALUES (?, 'test.sh', 'script', 0) RETURNING id");
        transform.bind(1, new_uid());
        sql::Statement ins_run(m_catalog->sql(),
                               "INSERT INTO run (uid, transform_id, started_at) VALUES (?, ?, 0) RETURNING id");
        ins_run.bind(1, new_uid());
        ins_run.bind(2, transform.insertReturningId());
        const int64_t run = ins_run.insertReturningId();
        sql::Statement input(m_catalog->sql(), "INSERT INTO run_input (run_id, artifact_id, recorded_at) VALUES (?, ?, 0)");
        for (int64_t a : inputs) {
            input.bind(1, run);
            input.bind(2, a);
            input.exec();
            input.reset();
        }
        return run;
    }

    catalog::ArtifactRow make_row(const std::string& key, int64_t created_at, std::optional<int64_t> run_id) {
        catalog::ArtifactRow r;
        r.uid = new_uid();
        r.key = key;
        r.kind = "file";
        r.hash = random_hex(32);
        r.size = 10;
        r.storage_id = m_storage_id;
        std::string id = random_hex(16);
        r.object_name = "objects/" + id.substr(0, 2) + "/" + id;
        r.stored_size = 10;
        r.wrapped_key = "WRAPPED-" + random_hex(20);
        r.key_id = "k1";
        r.created_by = "tester";
        r.created_at = created_at;
        r.run_id = run_id;
        // Plain writes (no fsync): the tests need the files, not durability.
        for (const auto& root : {m_dir / "storage", m_cache.root()}) {
            std::filesystem::create_directories((root / r.object_name).parent_path());
            std::ofstream(root / r.object_name) << "0123456789";
        }
        // As save does on a catalog that keeps keys in objects.
        if (artifact::keys_in_objects(*m_catalog) && !m_keys_in_rows) {
            std::ofstream(m_dir / "storage" / artifact::key_object_name(r.object_name, r.key_id)) << r.wrapped_key;
            r.wrapped_key = artifact::key_reference(r.wrapped_key);
        }
        return r;
    }

    std::string state_of(const std::string& uid) {
        return catalog::find_by_uid(*m_catalog, uid)->state;
    }

private:
    std::filesystem::path m_dir;
    config::Config m_config;
    std::unique_ptr<catalog::Catalog> m_catalog;
    std::unique_ptr<storage::Backend> m_backend;
    storage::Backend* m_active = nullptr;
    cache::Cache m_cache;
    int64_t m_storage_id = 0;
    bool m_keys_in_rows = false;
    Context m_ctx;
};

} // namespace cairn::purge::testing
