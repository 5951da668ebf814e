// Audit trail benchmark helper.
//   cairn_audit_bench generate CATALOG N   append N events in one transaction
//   cairn_audit_bench append CATALOG N     N events, one transaction each; prints the mean cost
//   cairn_audit_bench verify CATALOG [W]   verify in-process (W worker threads, 0: all on one); prints the time
//   cairn_audit_bench checks CATALOG [R]   the checks every command / every load adds, R rounds each: this
//                                          host's head (core/audit/host_head.hpp) and one artifact's seals
// bench/audit_bench.sh drives it against a real instance.
#include "core/artifact/seal.hpp"
#include "core/audit/audit.hpp"
#include "core/audit/host_head.hpp"
#include "core/catalog/seals.hpp"
#include "core/audit/verify.hpp"
#include "core/catalog/catalog.hpp"

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <vector>
#include <string>

namespace {

using Seconds = std::chrono::duration<double>;

double since(std::chrono::steady_clock::time_point t0) {
    return Seconds(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s generate|append|verify CATALOG [N]\n", argv[0]);
        return 2;
    }
    const std::string mode = argv[1];
    const long n = argc > 3 ? std::stol(argv[3]) : 0;
    auto catalog = cairn::catalog::Catalog::open(argv[2]);
    const cairn::Actor actor = cairn::current_actor({"cairn", "bench"}, "bench");
    const auto t0 = std::chrono::steady_clock::now();
    if (mode == "generate") {
        catalog->write_transaction([&] {
            for (long i = 0; i < n; ++i)
                cairn::audit::append(*catalog, actor,
                                     {"load", {"bench0000000000" + std::to_string(i % 10)}, "ok", std::nullopt,
                                      {{"version", i % 7}, {"size", 4096}, {"run", ""}, {"output", "file"}}});
        });
        std::printf("generated %ld events in %.2f s\n", n, since(t0));
    } else if (mode == "append") {
        for (long i = 0; i < n; ++i)
            cairn::audit::record(*catalog, actor, {"ls", {}, "ok", std::nullopt, {{"prefix", ""}, {"count", i}}});
        const double s = since(t0);
        std::printf("append: %ld events, one transaction each: %.3f ms per event (target < 1 ms)\n", n, s * 1000 / static_cast<double>(n));
    } else if (mode == "verify") {
        cairn::audit::VerifyTuning tuning;
        if (argc > 3) tuning.workers = static_cast<unsigned>(n);
        auto r = cairn::audit::verify(*catalog, nullptr, tuning);
        std::printf("verify (in-process, %s workers): %lld events %s in %.2f s\n", argc > 3 ? argv[3] : "default",
                    static_cast<long long>(r.events), r.ok() ? "OK" : "FAILED", since(t0));
        return r.ok() ? 0 : 4;
    } else if (mode == "checks") {
        const long rounds = n > 0 ? n : 200;
        const auto dir = std::filesystem::path(argv[2]).parent_path();
        auto t = std::chrono::steady_clock::now();
        for (long i = 0; i < rounds; ++i) (void)cairn::audit::check_host_head(*catalog, dir);
        std::printf("host head check: %.3f ms per command\n", since(t) * 1000 / static_cast<double>(rounds));
        std::vector<cairn::catalog::ArtifactRow> rows;
        cairn::catalog::for_each_sealed_artifact(*catalog, [&](const cairn::catalog::ArtifactRow& row) { rows.push_back(row); });
        if (rows.empty()) return 0;
        t = std::chrono::steady_clock::now();
        for (long i = 0; i < rounds; ++i) cairn::artifact::require_sealed(*catalog, rows[static_cast<size_t>(i) % rows.size()]);
        std::printf("seal check: %.3f ms per load (%zu artifacts)\n", since(t) * 1000 / static_cast<double>(rounds), rows.size());
        t = std::chrono::steady_clock::now();
        const auto all = cairn::artifact::check_all_seals(*catalog);
        std::printf("artifact seals (verify's last step; audit_target rides on the chain read above): %.2f s, %s\n", since(t),
                    all.problem.empty() ? "OK" : all.problem.c_str());
    } else {
        std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
        return 2;
    }
    return 0;
}
