// Not a test: the fixture shared by the lineage tests (compiled into the
// test binary only, hence the _test suffix).
#include "core/lineage/test_support.hpp"

#include "core/catalog/testing.hpp"
#include "core/util/random.hpp"
#include "core/util/time.hpp"

#include <unistd.h>

namespace cairn::lineage::testing {

Fixture::Fixture() {
    m_dir = std::filesystem::temp_directory_path() / ("cairn-lineage-test-" + random_hex(6));
    m_catalog = catalog::testing::open_test_catalog(m_dir);
    m_catalog->sql().execute("INSERT INTO storage (id, url, created_at) VALUES (1, 'file:///tmp/x', 0)");
    m_actor.identity = m_actor.os_user = "tester";
    m_actor.host = "test-host";
    m_actor.pid = static_cast<long>(::getpid());
    m_actor.command_line = "cairn test";
}

Fixture::~Fixture() {
    m_catalog.reset();
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
}

catalog::ArtifactRow Fixture::artifact(const std::string& key, const RunRow* run) {
    catalog::ArtifactRow row;
    row.uid = new_uid();
    row.key = key;
    row.kind = "file";
    row.hash = "hash" + std::to_string(++m_counter);
    row.storage_id = 1;
    row.object_name = "objects/" + row.uid;
    row.created_by = "tester";
    row.created_at = now_ms();
    if (run) row.run_id = run->id;
    m_catalog->write_transaction([&] { catalog::insert_artifact(*m_catalog, row); });
    return row;
}

RunRow Fixture::start(const std::string& transform) {
    StartOptions o;
    o.transform = {transform, "script", std::nullopt, ""};
    return start_run(*m_catalog, m_actor, o);
}

catalog::ArtifactRow Fixture::derive(const std::string& key, const std::vector<std::string>& from, const RunRow* run) {
    const OutputPlan plan = plan_output(*m_catalog, from, run ? run->uid : "");
    catalog::ArtifactRow row;
    row.uid = new_uid();
    row.key = key;
    row.kind = "file";
    row.hash = "hash" + std::to_string(++m_counter);
    row.storage_id = 1;
    row.object_name = "objects/" + row.uid;
    row.created_at = now_ms();
    m_catalog->write_transaction([&] {
        catalog::insert_artifact(*m_catalog, row);
        record_output(*m_catalog, m_actor, plan, row);
    });
    return row;
}

void Fixture::load(const RunRow& run, const catalog::ArtifactRow& a) {
    m_catalog->write_transaction([&] { record_input(*m_catalog, run, a); });
}

void Fixture::set_state(const catalog::ArtifactRow& a, const std::string& state, int64_t deleted_at) {
    sql::Statement q(m_catalog->sql(), "UPDATE artifact SET state = ?, deleted_at = ? WHERE id = ?");
    q.bind(1, state);
    q.bind(2, deleted_at);
    q.bind(3, a.id);
    q.exec();
}

} // namespace cairn::lineage::testing
