#include "core/catalog/seals.hpp"

#include <limits>

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

void for_each_sealed_artifact(Catalog& c, const std::function<void(ArtifactRow&)>& visit) {
    const std::string sql = std::string("SELECT ") + k_artifact_columns +
                            " FROM artifact a LEFT JOIN storage s ON s.id = a.storage_id"
                            " WHERE a.wrapped_key IS NOT NULL AND a.id > ? ORDER BY a.id LIMIT ?";
    std::vector<ArtifactRow> page;
    int64_t after = std::numeric_limits<int64_t>::min();
    do {
        page.clear();
        {
            sql::Statement q(c.sql(), sql);
            q.bind(1, after);
            q.bind(2, k_sealed_page);
            while (q.executeStep()) page.push_back(read_artifact(q));
        }
        if (!page.empty()) after = page.back().id;
        for (ArtifactRow& row : page) visit(row);
    } while (static_cast<int64_t>(page.size()) == k_sealed_page);
}

bool seals_pending(Catalog& c) { return instance_info(c, k_seals_setting) == std::optional<std::string>("pending"); }

void clear_seals_pending(Catalog& c) {
    sql::Statement q(c.sql(), "DELETE FROM instance_info WHERE name = ?");
    q.bind(1, k_seals_setting);
    q.exec();
}

} // namespace cairn::catalog
