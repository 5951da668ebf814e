// Lineage query benchmark: fills a catalog with a synthetic history (default
// 100,000 artifacts and 50,000 runs) and times ancestor queries.
//
//   lineage_bench CATALOG.db [--artifacts N] [--runs N] [--samples N]
//
// The history is a set of projects. Each run reads 1-3 of the 20 most
// recent artifacts of its project and writes 2 outputs, so chains grow deep
// (tens to hundreds of levels) as real pipelines do. Project 0 is 10% of all
// runs, so its last artifact has thousands of ancestors: the worst case.
// An existing catalog with artifacts is reused, not refilled.
#include "core/catalog/catalog.hpp"
#include "core/lineage/graph.hpp"
#include "core/lineage/render.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace cairn;

namespace {

struct Options {
    std::string path;
    int artifacts = 100'000;
    int runs = 50'000;
    int samples = 50;
};

struct Project {
    std::vector<int64_t> artifacts;
};

int64_t count(catalog::Catalog& c, const char* table) {
    return c.db().execAndGet(std::string("SELECT COUNT(*) FROM ") + table).getInt64();
}

std::vector<int> project_sizes(const Options& o) {
    const int big = o.runs / 10;
    const int per = 100;
    std::vector<int> sizes{big};
    for (int left = o.runs - big; left > 0; left -= per) sizes.push_back(std::min(per, left));
    return sizes;
}

void fill(catalog::Catalog& c, const Options& o) {
    std::mt19937_64 rng(42);
    const std::vector<int> sizes = project_sizes(o);
    const int seeds_per_project = 2;
    // Outputs per run are 2, except enough single-output runs to hit the
    // artifact total exactly.
    int singles = 2 * o.runs + seeds_per_project * static_cast<int>(sizes.size()) - o.artifacts;
    c.write_transaction([&] {
        c.db().exec("INSERT OR IGNORE INTO storage (id, url, created_at) VALUES (1, 'file:///bench', 0)");
        // Rows added outside cairn: the next command that opens the instance
        // for writing seals them, as after an upgrade (core/artifact/seal.hpp),
        // so audit verify and catalog migrate accept them.
        c.db().exec("INSERT INTO instance_info (name, value) VALUES ('artifact_seals', 'pending')"
                    " ON CONFLICT (name) DO UPDATE SET value = excluded.value");
        SQLite::Statement tr(c.db(), "INSERT INTO transform (uid, key, kind, source_hash, created_at) VALUES (?,?,'script',?,0)");
        SQLite::Statement run(c.db(), "INSERT INTO run (uid, transform_id, started_at, finished_at, exit_status, params,"
                                      " command_line, host, user, pid) VALUES (?,?,?,?,0,'{}','bench','bench','bench',1)");
        SQLite::Statement art(c.db(), "INSERT INTO artifact (uid, key, version, is_latest, kind, hash, size, storage_id,"
                                      " object_name, stored_size, wrapped_key, key_id, state, created_by, created_at, run_id)"
                                      " VALUES (?,?,1,1,'file',?,100,1,?,128,x'00','k','active','bench',?,?)");
        SQLite::Statement input(c.db(), "INSERT INTO run_input (run_id, artifact_id, recorded_at) VALUES (?,?,0)");
        int64_t clock = 1'700'000'000'000, serial = 0;
        auto uid = [&] {
            char buf[17];
            std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(++serial));
            return std::string(buf);
        };
        auto add_artifact = [&](size_t p, std::optional<int64_t> run_id) {
            const std::string u = uid();
            art.reset();
            art.bind(1, u);
            art.bind(2, "p" + std::to_string(p) + "/a" + u);
            art.bind(3, "h" + u);
            art.bind(4, "objects/" + u.substr(14) + "/" + u); // as save names them: 256 directories
            art.bind(5, ++clock);
            if (run_id) art.bind(6, *run_id); else art.bind(6);
            art.exec();
            return c.db().getLastInsertRowid();
        };
        for (size_t p = 0; p < sizes.size(); ++p) {
            tr.reset();
            tr.bind(1, uid());
            tr.bind(2, "p" + std::to_string(p) + "/pipeline.py");
            tr.bind(3, "sha-" + std::to_string(p));
            tr.exec();
            const int64_t transform_id = c.db().getLastInsertRowid();
            Project proj;
            for (int s = 0; s < seeds_per_project; ++s) proj.artifacts.push_back(add_artifact(p, std::nullopt));
            for (int r = 0; r < sizes[p]; ++r) {
                run.reset();
                run.bind(1, uid());
                run.bind(2, transform_id);
                run.bind(3, ++clock);
                run.bind(4, clock + 1000);
                run.exec();
                const int64_t run_id = c.db().getLastInsertRowid();
                const size_t window = std::min<size_t>(20, proj.artifacts.size());
                std::vector<int64_t> picked;
                const int n_inputs = 1 + static_cast<int>(rng() % 3);
                for (int i = 0; i < n_inputs; ++i) {
                    const int64_t a = proj.artifacts[proj.artifacts.size() - 1 - rng() % window];
                    if (std::find(picked.begin(), picked.end(), a) != picked.end()) continue;
                    picked.push_back(a);
                    input.reset();
                    input.bind(1, run_id);
                    input.bind(2, a);
                    input.exec();
                }
                const int outputs = singles-- > 0 ? 1 : 2;
                for (int k = 0; k < outputs; ++k) proj.artifacts.push_back(add_artifact(p, run_id));
            }
        }
    });
}

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

struct Sample {
    double ms;        // query + rendering as JSON
    size_t nodes;
    int depth;
    double query_ms;  // query_graph alone
};

Sample time_query(catalog::Catalog& c, int64_t id, lineage::Direction d) {
    const auto t0 = std::chrono::steady_clock::now();
    const lineage::Graph g = lineage::query_graph(c, id, d, 0);
    const double query_ms = ms_since(t0);
    // What `cairn lineage --json` prints.
    const std::string json = lineage::render(g, lineage::Format::json);
    Sample s{ms_since(t0), g.artifacts.size() + g.runs.size(), 0, query_ms};
    for (const auto& a : g.artifacts) s.depth = std::max(s.depth, a.depth);
    return s;
}

void report(const char* what, std::vector<Sample> samples) {
    std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.ms < b.ms; });
    const Sample& med = samples[samples.size() / 2];
    const Sample& p95 = samples[std::min(samples.size() - 1, samples.size() * 95 / 100)];
    const Sample& max = samples.back();
    size_t nodes = 0;
    int depth = 0;
    double query_max = 0;
    for (const auto& s : samples)
        nodes = std::max(nodes, s.nodes), depth = std::max(depth, s.depth), query_max = std::max(query_max, s.query_ms);
    std::printf("%-42s n=%-3zu median %7.2f ms  p95 %7.2f ms  max %7.2f ms  (query alone max %7.2f ms; up to %zu nodes, depth %d)\n",
                what, samples.size(), med.ms, p95.ms, max.ms, query_max, nodes, depth);
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    if (argc < 2) {
        std::fprintf(stderr, "usage: lineage_bench CATALOG.db [--artifacts N] [--runs N] [--samples N]\n");
        return 2;
    }
    o.path = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const int value = std::stoi(argv[i + 1]);
        if (flag == "--artifacts") o.artifacts = value;
        else if (flag == "--runs") o.runs = value;
        else if (flag == "--samples") o.samples = value;
    }
    try {
        auto c = catalog::Catalog::open(o.path, true);
        if (count(*c, "artifact") == 0) {
            const auto t0 = std::chrono::steady_clock::now();
            fill(*c, o);
            std::printf("filled in %.1f s\n", ms_since(t0) / 1000);
        }
        std::printf("catalog: %lld artifacts, %lld runs, %lld run inputs\n", static_cast<long long>(count(*c, "artifact")),
                    static_cast<long long>(count(*c, "run")), static_cast<long long>(count(*c, "run_input")));

        // The last artifact of each project has the longest history.
        std::vector<int64_t> lasts, firsts;
        SQLite::Statement q(c->db(), "SELECT MAX(id), MIN(id) FROM artifact GROUP BY substr(key, 1, instr(key, '/')) ORDER BY MIN(id)");
        while (q.executeStep()) {
            lasts.push_back(q.getColumn(0).getInt64());
            firsts.push_back(q.getColumn(1).getInt64());
        }
        std::mt19937_64 rng(7);
        std::vector<Sample> typical, typical_down;
        for (int i = 0; i < o.samples; ++i) {
            const size_t p = 1 + rng() % (lasts.size() - 1);
            typical.push_back(time_query(*c, lasts[p], lineage::Direction::up));
            typical_down.push_back(time_query(*c, firsts[p], lineage::Direction::down));
        }
        std::vector<Sample> worst, worst_down;
        for (int i = 0; i < 5; ++i) {
            worst.push_back(time_query(*c, lasts[0], lineage::Direction::up));
            worst_down.push_back(time_query(*c, firsts[0], lineage::Direction::down));
        }
        report("ancestors, typical project (100 runs)", typical);
        report("descendants of a seed, typical project", typical_down);
        report("ancestors, largest project (10% of runs)", worst);
        report("descendants of a seed, largest project", worst_down);
        std::printf("worst-case uid: %s\n", c->db().execAndGet("SELECT uid FROM artifact WHERE id = " +
                                                              std::to_string(lasts[0])).getString().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lineage_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
