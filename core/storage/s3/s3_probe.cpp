// probe(): proves the location works end to end and reads the bucket
// settings that decide whether cairn can keep its 30-day deletion promise.
#include "core/storage/s3/s3_backend_impl.hpp"

#include "core/storage/s3/xml.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <algorithm>

namespace cairn::storage::s3 {

namespace {

// GET ?<what> on the bucket; nullopt when the store does not answer it.
std::optional<XmlNode> bucket_setting(S3Client& client, const std::string& what,
                                      std::vector<std::string>& notes) {
    S3Call call;
    call.query = {{what, ""}};
    auto response = client.send(call);
    if (!response) {
        notes.push_back("cannot read the bucket's " + what +
                        " setting: " + response.error().message);
        return std::nullopt;
    }
    if (response->status == 404) return std::nullopt; // e.g. ObjectLockConfigurationNotFoundError
    if (response->status < 200 || response->status >= 300) {
        notes.push_back("cannot read the bucket's " + what +
                        " setting: " + client.failure_of(*response, call).message);
        return std::nullopt;
    }
    return parse_xml(response->body);
}

} // namespace

std::optional<bool> S3Backend::probe_write_once(std::vector<std::string>& notes) {
    const std::string name = ".cairn-probe-once-" + random_hex(8);
    fs::TempFile src(std::filesystem::temp_directory_path(), "cairn-probe");
    fs::write_all(src.fd(), std::as_bytes(std::span(name.data(), name.size())), src.path());
    src.close();
    auto first = put_if_absent(name, src.path(), {});
    auto second = first ? put_if_absent(name, src.path(), {}) : first;
    remove(name);
    if (!first || !second) {
        notes.push_back("cannot probe write-once puts: " + (!first ? first : second).error().message);
        return std::nullopt;
    }
    const bool honoured = *first == Created::yes && *second == Created::no;
    if (!honoured)
        notes.push_back("the store ignores If-None-Match on PUT: published audit checkpoints can be overwritten "
                        "by anyone who can write the bucket (docs/AUDIT.md, Anchors)");
    return honoured;
}

ProbeReport S3Backend::probe() {
    ProbeReport report;
    const std::string name = ".cairn-probe-" + random_hex(8);
    const std::string content = "cairn probe " + name;
    try {
        fs::TempFile src(std::filesystem::temp_directory_path(), "cairn-probe");
        fs::write_all(src.fd(), std::as_bytes(std::span(content.data(), content.size())),
                      src.path());
        src.close();
        auto put_st = put(name, src.path());
        report.can_write = bool(put_st);
        if (!put_st) report.notes.push_back("write failed: " + put_st.error().message);
        auto back = get_range(name, 0, content.size());
        report.can_read = back && *back == content;
        if (!back) report.notes.push_back("read failed: " + back.error().message);
        auto listed = list(name);
        report.can_list =
            listed && std::any_of(listed->begin(), listed->end(),
                                  [&](const ObjectInfo& o) { return o.name == name; });
        if (!listed) report.notes.push_back("list failed: " + listed.error().message);
        auto removed = remove(name);
        auto left = list_versions(name);
        report.can_delete = removed && left &&
                            std::none_of(left->begin(), left->end(),
                                         [&](const ObjectVersion& v) { return v.name == name; });
        if (!removed)
            report.notes.push_back("delete failed: " + removed.error().message);
        else if (!report.can_delete)
            report.notes.push_back("the probe object left versions behind after delete");
        if (report.can_write && report.can_delete) report.write_once = probe_write_once(report.notes);
    } catch (const std::exception& e) {
        report.notes.push_back(e.what());
    }

    if (auto v = bucket_setting(m_client, "versioning", report.notes)) {
        std::string status = v->child_text("Status");
        report.versioning = status == "Enabled" || status == "Suspended";
        if (status == "Suspended")
            report.notes.push_back("versioning is suspended; older versions are still kept");
    }
    if (m_client.config().gcs) {
        report.notes.push_back(
            "GCS soft delete: unknown through the XML API; check the bucket's soft delete "
            "policy (gcloud storage buckets describe) fits the deletion deadline");
        report.notes.push_back(
            "GCS retention policies and bucket lock are not visible through the XML API");
    } else if (auto lock = bucket_setting(m_client, "object-lock", report.notes)) {
        report.object_lock = lock->child_text("ObjectLockEnabled") == "Enabled";
        if (const XmlNode* rule = lock->child("Rule"); rule && rule->child("DefaultRetention")) {
            const XmlNode* r = rule->child("DefaultRetention");
            report.notes.push_back("object lock default retention: " + r->child_text("Mode") + " " +
                                   (r->child_text("Days").empty()
                                        ? r->child_text("Years") + " years"
                                        : r->child_text("Days") + " days"));
        }
    }
    return report;
}

} // namespace cairn::storage::s3
