#include "cmd/output.hpp"
#include "core/util/time.hpp"

namespace cairn::cmd {

nlohmann::json artifact_json(const catalog::ArtifactRow& a) {
    return {{"uid", a.uid},           {"key", a.key},         {"version", a.version},
            {"is_latest", a.is_latest}, {"kind", a.kind},       {"size", a.size},
            {"n_files", a.n_files},   {"hash", a.hash},       {"suffix", a.suffix},
            {"description", a.description}, {"storage", a.storage_url}, {"state", a.state},
            {"key_id", a.key_id},     {"created_by", a.created_by},
            {"created_at", format_utc_ms(a.created_at)}};
}

std::string human_size(uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

} // namespace cairn::cmd
