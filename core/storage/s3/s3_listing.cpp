// Listing (ListObjectsV2, ListObjectVersions, ListMultipartUploads) and
// deletion of every version, delete marker and unfinished upload (batched
// DeleteObjects on S3, one request per version on GCS, whose XML API has no
// batch delete).
//
// Deleting or checking many objects lists versions once per directory of
// names (group_by_directory), not once per object: a purge of 10,000
// objects spread over cairn's 256 "objects/xx/" directories costs a few
// hundred listings and ten batch deletes.
#include "core/storage/s3/s3_backend_impl.hpp"

#include "core/storage/s3/s3_responses.hpp"
#include "core/storage/s3/xml.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <semaphore>

namespace cairn::storage::s3 {

namespace {

constexpr size_t k_batch = 1000; // DeleteObjects limit

// Batch deletes in flight at once, over all of this process's connections.
// A store works through a batch's versions one by one (radosgw updates one
// bucket index per version), so many concurrent batches do not finish
// sooner: 32 of them on a loopback radosgw each took over 30 s, hit the
// low-speed timeout and were retried name by name, doubling a purge. A few
// keep a fast store (AWS S3) busy while each batch stays short.
constexpr std::ptrdiff_t k_batches_in_flight = 4;
std::counting_semaphore<k_batches_in_flight> g_batch_slots(k_batches_in_flight);

// Holds one of g_batch_slots for its lifetime.
class BatchSlot {
public:
    BatchSlot() { g_batch_slots.acquire(); }
    ~BatchSlot() { g_batch_slots.release(); }
    BatchSlot(const BatchSlot&) = delete;
    BatchSlot& operator=(const BatchSlot&) = delete;
};

std::string content_md5(std::string_view body) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(body.data(), body.size(), md, &len, EVP_md5(), nullptr);
    unsigned char b64[64];
    int n = EVP_EncodeBlock(b64, md, static_cast<int>(len));
    return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

bool contains(const std::vector<std::string>& sorted, const std::string& name) {
    return std::binary_search(sorted.begin(), sorted.end(), name);
}

// Each name keeps its first failure (callers retry or report per name).
void add_failure(std::vector<std::pair<std::string, Failure>>& failed, const std::string& name,
                 const Failure& failure) {
    for (const auto& f : failed)
        if (f.first == name) return;
    failed.emplace_back(name, failure);
}

} // namespace

Result<std::vector<ObjectInfo>> S3Backend::list(const std::string& prefix) {
    const S3Config& c = m_client.config();
    std::vector<ObjectInfo> out;
    std::string token;
    for (;;) {
        S3Call call;
        call.query = {{"list-type", "2"}, {"prefix", c.prefix + prefix}};
        if (!c.gcs) call.query.emplace_back("encoding-type", "url");
        if (m_options.list_page_size > 0)
            call.query.emplace_back("max-keys", std::to_string(m_options.list_page_size));
        if (!token.empty()) call.query.emplace_back("continuation-token", token);
        auto response = m_client.send_ok(call);
        if (!response) return unexpected(response.error());
        auto page = parse_object_listing(c, response->body);
        if (!page) return unexpected(page.error());
        std::move(page->objects.begin(), page->objects.end(), std::back_inserter(out));
        token = std::move(page->next_token);
        if (token.empty()) return out;
    }
}

Result<S3Backend::VersionPage> S3Backend::list_versions_page(const std::string& prefix,
                                                             const PageMarker& from) {
    const S3Config& c = m_client.config();
    S3Call call;
    call.query = {{"versions", ""}, {"prefix", c.prefix + prefix}};
    if (!c.gcs) call.query.emplace_back("encoding-type", "url");
    if (m_options.list_page_size > 0)
        call.query.emplace_back("max-keys", std::to_string(m_options.list_page_size));
    if (!from.key.empty()) call.query.emplace_back(c.gcs ? "marker" : "key-marker", from.key);
    if (!from.id.empty())
        call.query.emplace_back(c.gcs ? "generation-marker" : "version-id-marker", from.id);
    auto response = m_client.send_ok(call);
    if (!response) return unexpected(response.error());
    return parse_version_listing(c, response->body);
}

Result<std::vector<ObjectVersion>> S3Backend::list_versions(const std::string& prefix) {
    std::vector<ObjectVersion> out;
    PageMarker marker;
    do {
        auto page = list_versions_page(prefix, marker);
        if (!page) return unexpected(page.error());
        std::move(page->versions.begin(), page->versions.end(), std::back_inserter(out));
        marker = page->next;
    } while (!marker.done());
    return out;
}

// Listings come in key order, so paging the group's prefix stops after its
// last name. When paging has cost as many requests as listing each remaining
// name on its own would, those names are listed one by one instead: a few
// names in a huge directory cost at most about twice what per-name listings
// would, many names in one directory cost a page per 1000 versions.
Status S3Backend::collect_versions(const NameGroup& group, std::vector<ObjectVersion>& out) {
    const std::string& prefix = m_client.config().prefix;
    std::vector<ObjectVersion> found;
    PageMarker marker;
    for (size_t pages = 1;; ++pages) {
        auto page = list_versions_page(group.prefix, marker);
        if (!page) return unexpected(page.error());
        for (auto& v : page->versions)
            if (contains(group.names, v.name)) found.push_back(std::move(v));
        marker = page->next;
        if (marker.done()) break;
        const std::string next = marker.key.substr(std::min(marker.key.size(), prefix.size()));
        if (next > group.names.back()) break; // every later key sorts after the last name
        auto rest = std::lower_bound(group.names.begin(), group.names.end(), next);
        if (group.names.size() == 1 || static_cast<size_t>(group.names.end() - rest) > pages)
            continue;
        // Cheaper name by name from here; forget what was found of those
        // names (the next name may have more versions on later pages).
        std::erase_if(found, [&](const ObjectVersion& v) { return v.name >= *rest; });
        for (auto it = rest; it != group.names.end(); ++it)
            if (Status st = collect_versions({*it, {*it}}, found); !st) return st;
        break;
    }
    std::move(found.begin(), found.end(), std::back_inserter(out));
    return {};
}

Result<std::vector<ObjectVersion>> S3Backend::versions_of(const std::vector<std::string>& names) {
    std::vector<ObjectVersion> out;
    for (const auto& group : group_by_directory(names))
        if (Status st = collect_versions(group, out); !st) return unexpected(st.error());
    return out;
}

Result<std::vector<S3Backend::Upload>> S3Backend::list_uploads(const std::string& prefix) {
    const S3Config& c = m_client.config();
    std::vector<Upload> out;
    PageMarker marker;
    for (;;) {
        S3Call call;
        call.query = {{"uploads", ""}, {"prefix", c.prefix + prefix}};
        if (!c.gcs) call.query.emplace_back("encoding-type", "url");
        if (m_options.list_page_size > 0)
            call.query.emplace_back("max-uploads", std::to_string(m_options.list_page_size));
        if (!marker.key.empty()) call.query.emplace_back("key-marker", marker.key);
        if (!marker.id.empty()) call.query.emplace_back("upload-id-marker", marker.id);
        auto response = m_client.send_ok(call);
        if (!response) return unexpected(response.error());
        auto page = parse_upload_listing(c, response->body);
        if (!page) return unexpected(page.error());
        std::move(page->uploads.begin(), page->uploads.end(), std::back_inserter(out));
        if (page->next.done()) return out;
        marker = std::move(page->next);
    }
}

// Unfinished uploads are normally rare, so they are listed once under the
// common prefix of all names rather than per directory.
void S3Backend::abort_uploads_of(const std::vector<std::string>& names, Failures& failed) {
    if (names.empty()) return;
    std::vector<std::string> sorted(names);
    std::sort(sorted.begin(), sorted.end());
    std::string prefix = sorted.front();
    const std::string& last = sorted.back();
    size_t n = 0;
    while (n < prefix.size() && n < last.size() && prefix[n] == last[n])
        ++n;
    prefix.resize(n);
    auto uploads = list_uploads(prefix);
    if (!uploads) {
        // A store or IAM policy that cannot list uploads leaves them to the
        // bucket's lifecycle rule (docs/STORAGE.md); a busy store is retried.
        if (uploads.error().retryable())
            for (const auto& name : names)
                add_failure(failed, name, uploads.error());
        return;
    }
    for (const auto& upload : *uploads)
        if (contains(sorted, upload.name))
            if (Status st = abort_upload(key_of(upload.name), upload.id); !st)
                add_failure(failed, upload.name, st.error());
}

Status S3Backend::remove(const std::string& name) {
    auto failed = remove_many({name});
    if (!failed.empty()) return unexpected(failed.front().second);
    return {};
}

std::vector<std::pair<std::string, Failure>>
S3Backend::remove_many(const std::vector<std::string>& names) {
    Failures failed;
    std::vector<ObjectVersion> versions;
    for (const auto& group : group_by_directory(names)) {
        Status listed = collect_versions(group, versions);
        if (listed) continue;
        if (listed.error().kind == FailureKind::error) {
            delete_plainly(group.names, failed); // a store without version listing
            continue;
        }
        for (const auto& name : group.names)
            add_failure(failed, name, listed.error());
    }
    if (m_client.config().gcs)
        delete_one_by_one(versions, failed);
    else
        delete_in_batches(versions, failed);
    abort_uploads_of(names, failed);
    return failed;
}

void S3Backend::delete_plainly(const std::vector<std::string>& names, Failures& failed) {
    for (const auto& name : names) {
        S3Call call;
        call.method = "DELETE";
        call.key = key_of(name);
        call.subject = name;
        if (auto deleted = m_client.send(call); !deleted)
            add_failure(failed, name, deleted.error());
        else if (deleted->status != 404 && (deleted->status < 200 || deleted->status >= 300))
            add_failure(failed, name, m_client.failure_of(*deleted, call));
    }
}

void S3Backend::delete_one_by_one(const std::vector<ObjectVersion>& versions, Failures& failed) {
    for (const auto& v : versions) {
        S3Call call;
        call.method = "DELETE";
        call.key = key_of(v.name);
        call.subject = v.name;
        if (!v.version_id.empty()) call.query = {{"generation", v.version_id}};
        auto response = m_client.send(call);
        if (!response)
            add_failure(failed, v.name, response.error());
        else if (response->status != 404 && (response->status < 200 || response->status >= 300))
            add_failure(failed, v.name, m_client.failure_of(*response, call));
    }
}

void S3Backend::delete_in_batches(const std::vector<ObjectVersion>& versions, Failures& failed) {
    for (size_t begin = 0; begin < versions.size(); begin += k_batch) {
        size_t end = std::min(versions.size(), begin + k_batch);
        std::string body = "<Delete><Quiet>true</Quiet>";
        for (size_t i = begin; i < end; ++i) {
            body += "<Object><Key>" + xml_escape(key_of(versions[i].name)) + "</Key>";
            if (!versions[i].version_id.empty())
                body += "<VersionId>" + xml_escape(versions[i].version_id) + "</VersionId>";
            body += "</Object>";
        }
        body += "</Delete>";
        S3Call call;
        call.method = "POST";
        call.query = {{"delete", ""}};
        // S3 refuses a batch delete without a checksum of its body.
        call.headers = {{"content-md5", content_md5(body)}};
        call.body = body;
        auto response = [&] {
            const BatchSlot slot;
            return m_client.send_ok(call);
        }();
        if (!response) {
            for (size_t i = begin; i < end; ++i)
                add_failure(failed, versions[i].name, response.error());
            continue;
        }
        auto errors = parse_delete_result(m_client.config(), response->body);
        if (!errors) {
            for (size_t i = begin; i < end; ++i)
                add_failure(failed, versions[i].name,
                            Failure{FailureKind::error, "unexpected answer to a batch delete"});
            continue;
        }
        for (auto& [name, failure] : *errors)
            add_failure(failed, name, failure);
    }
}

} // namespace cairn::storage::s3
