#include "cmd/output.hpp"
#include "core/util/fs.hpp"
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

std::string human_size(uint64_t bytes) { return fs::format_bytes(bytes); }

} // namespace cairn::cmd
