#include "core/audit/inventory.hpp"

#include "core/purge/retention.hpp"
#include "core/util/time.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

namespace cairn::audit {

namespace {

constexpr const char* k_query = R"(
SELECT a.uid, COALESCE(a.key, ''), a.version, a.kind, a.size, a.state, COALESCE(s.url, ''),
       COALESCE(a.object_name, t.object_name, ''), COALESCE(a.key_id, ''), a.wrapped_key IS NULL,
       a.created_at, a.deleted_at,
       r.uid, r.state, t.state, COALESCE(r.reason, ''), COALESCE(r.policy, ''), r.requested_at, r.due_at,
       r.deadline_at, r.completed_at
FROM artifact a
LEFT JOIN deletion_target t ON t.artifact_id = a.id
     AND t.request_id = (SELECT MAX(request_id) FROM deletion_target WHERE artifact_id = a.id)
LEFT JOIN deletion_request r ON r.id = t.request_id
LEFT JOIN storage s ON s.id = COALESCE(a.storage_id, t.storage_id)
ORDER BY a.id)";

std::optional<int64_t> optional_int(const sql::Column& c) {
    if (c.isNull()) return std::nullopt;
    return c.getInt64();
}

std::string matching_rule(const std::vector<config::RetentionRule>& rules, const std::string& key) {
    if (key.empty()) return {};
    for (const auto& r : rules)
        if (purge::glob_match(r.match, key)) return r.match;
    return {};
}

nlohmann::json time_or_null(const std::optional<int64_t>& ms) {
    return ms ? nlohmann::json(format_utc_ms(*ms)) : nlohmann::json(nullptr);
}

// Columns 12..20 of k_query: the artifact's deletion request, if any.
InventoryDeletion deletion_from_row(sql::Statement& q) {
    InventoryDeletion d;
    d.request_uid = q.getColumn(12).getString();
    d.request_state = q.getColumn(13).getString();
    d.target_state = q.getColumn(14).getString();
    d.reason = q.getColumn(15).getString();
    d.policy = q.getColumn(16).getString();
    d.requested_at = q.getColumn(17).getInt64();
    d.due_at = q.getColumn(18).getInt64();
    d.deadline_at = q.getColumn(19).getInt64();
    d.completed_at = optional_int(q.getColumn(20));
    return d;
}

} // namespace

std::vector<InventoryEntry> inventory(catalog::Catalog& catalog, const std::vector<config::RetentionRule>& rules) {
    sql::Statement q(catalog.sql(), k_query);
    std::vector<InventoryEntry> out;
    while (q.executeStep()) {
        InventoryEntry e;
        e.uid = q.getColumn(0).getString();
        e.key = q.getColumn(1).getString();
        e.version = q.getColumn(2).getInt();
        e.kind = q.getColumn(3).getString();
        e.size = q.getColumn(4).getInt64();
        e.state = q.getColumn(5).getString();
        e.storage_url = q.getColumn(6).getString();
        e.object_name = q.getColumn(7).getString();
        e.encryption = k_object_encryption;
        e.key_id = q.getColumn(8).getString();
        e.data_key_shredded = q.getColumn(9).getInt() != 0;
        e.created_at = q.getColumn(10).getInt64();
        e.deleted_at = optional_int(q.getColumn(11));
        e.retention_rule = matching_rule(rules, e.key);
        if (!q.getColumn(12).isNull()) e.deletion = deletion_from_row(q);
        out.push_back(std::move(e));
    }
    return out;
}

nlohmann::json to_json(const InventoryEntry& e) {
    nlohmann::json j = {{"uid", e.uid},
                        {"key", e.key.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.key)},
                        {"version", e.version},
                        {"kind", e.kind},
                        {"size", e.size},
                        {"state", e.state},
                        {"storage", e.storage_url},
                        {"object", e.object_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.object_name)},
                        {"encryption", e.encryption},
                        {"key_id", e.key_id},
                        {"data_key_shredded", e.data_key_shredded},
                        {"created_at", format_utc_ms(e.created_at)},
                        {"deleted_at", time_or_null(e.deleted_at)},
                        {"retention_rule", e.retention_rule.empty() ? nlohmann::json(nullptr)
                                                                    : nlohmann::json(e.retention_rule)},
                        {"deletion", nullptr}};
    if (e.deletion) {
        const InventoryDeletion& d = *e.deletion;
        j["deletion"] = {{"request", d.request_uid},   {"request_state", d.request_state},
                         {"target_state", d.target_state}, {"reason", d.reason},
                         {"policy", d.policy.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.policy)},
                         {"requested_at", format_utc_ms(d.requested_at)}, {"due_at", format_utc_ms(d.due_at)},
                         {"deadline_at", format_utc_ms(d.deadline_at)}, {"completed_at", time_or_null(d.completed_at)}};
    }
    return j;
}

} // namespace cairn::audit
