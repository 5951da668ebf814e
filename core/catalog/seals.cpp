#include "core/catalog/seals.hpp"

namespace cairn::catalog {

std::vector<std::byte> wrap_mac(Catalog& c, int64_t artifact_id) {
    sql::Statement q(c.sql(), "SELECT wrap_mac FROM artifact WHERE id = ?");
    q.bind(1, artifact_id);
    if (!q.executeStep() || q.getColumn(0).isNull()) return {};
    const auto* p = static_cast<const std::byte*>(q.getColumn(0).getBlob());
    return std::vector<std::byte>(p, p + q.getColumn(0).getBytes());
}

void set_wrap_mac(Catalog& c, int64_t artifact_id, std::span<const std::byte> mac) {
    sql::Statement q(c.sql(), "UPDATE artifact SET wrap_mac = ? WHERE id = ?");
    q.bind(1, mac.data(), static_cast<int>(mac.size()));
    q.bind(2, artifact_id);
    q.exec();
}

std::vector<ArtifactRow> sealed_artifacts(Catalog& c) {
    sql::Statement q(c.sql(), std::string("SELECT ") + k_artifact_columns +
                                    " FROM artifact a LEFT JOIN storage s ON s.id = a.storage_id"
                                    " WHERE a.wrapped_key IS NOT NULL ORDER BY a.id");
    std::vector<ArtifactRow> out;
    while (q.executeStep()) out.push_back(read_artifact(q));
    return out;
}

bool seals_pending(Catalog& c) { return instance_info(c, k_seals_setting) == std::optional<std::string>("pending"); }

void clear_seals_pending(Catalog& c) {
    sql::Statement q(c.sql(), "DELETE FROM instance_info WHERE name = ?");
    q.bind(1, k_seals_setting);
    q.exec();
}

} // namespace cairn::catalog
