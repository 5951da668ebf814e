#include "core/catalog/pending_uploads.hpp"

namespace cairn::catalog {

void add_pending_upload_in_transaction(Catalog& c, const std::string& object_name, int64_t storage_id,
                                       int64_t started_at, const std::string& host, int64_t pid) {
    sql::Statement q(c.sql(), "INSERT INTO pending_upload (object_name, storage_id, started_at, host, pid)"
                                " VALUES (?,?,?,?,?)");
    q.bind(1, object_name);
    q.bind(2, storage_id);
    q.bind(3, started_at);
    q.bind(4, host);
    q.bind(5, pid);
    q.exec();
}

void add_pending_upload(Catalog& c, const std::string& object_name, int64_t storage_id,
                        int64_t started_at, const std::string& host, int64_t pid) {
    c.write_transaction([&] { add_pending_upload_in_transaction(c, object_name, storage_id, started_at, host, pid); });
}

void forget_pending_upload_in_transaction(Catalog& c, const std::string& object_name) {
    forget_pending_uploads_in_transaction(c, {object_name});
}

void forget_pending_uploads_in_transaction(Catalog& c, const std::vector<std::string>& object_names) {
    if (object_names.empty()) return;
    std::string placeholders = "?";
    for (size_t i = 1; i < object_names.size(); ++i) placeholders += ",?";
    sql::Statement q(c.sql(), "DELETE FROM pending_upload WHERE object_name IN (" + placeholders + ")");
    for (size_t i = 0; i < object_names.size(); ++i) q.bind(static_cast<int>(i + 1), object_names[i]);
    q.exec();
}

void forget_pending_upload(Catalog& c, const std::string& object_name) {
    c.write_transaction([&] { forget_pending_upload_in_transaction(c, object_name); });
}

std::vector<std::string> pending_upload_names(Catalog& c) {
    sql::Statement q(c.sql(), "SELECT object_name FROM pending_upload ORDER BY object_name");
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
}

std::vector<PendingUpload> pending_uploads_before(Catalog& c, int64_t storage_id, int64_t started_before) {
    sql::Statement q(c.sql(), "SELECT object_name, host, pid FROM pending_upload"
                                " WHERE started_at < ? AND storage_id = ?");
    q.bind(1, started_before);
    q.bind(2, storage_id);
    std::vector<PendingUpload> out;
    while (q.executeStep())
        out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64()});
    return out;
}

} // namespace cairn::catalog
