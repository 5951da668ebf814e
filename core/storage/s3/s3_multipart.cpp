// Multipart upload for large files: parts are read with pread straight from
// the source file by `upload_threads` workers, each with its own curl handle,
// so memory stays constant whatever the file size. Any failure aborts the
// upload so no parts are left behind (and billed); an abort the store did not
// take is tried again by the next put, and remove() aborts any unfinished
// upload of its name (a killed save's, found through pending_upload).
#include "core/storage/s3/s3_backend_impl.hpp"

#include "core/storage/s3/xml.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

namespace cairn::storage::s3 {

namespace {

constexpr uint64_t k_mib = 1ull << 20;
constexpr uint64_t k_max_parts = 10'000;
constexpr int k_part_attempts = 3;
constexpr int k_complete_attempts = 4;

uint64_t choose_part_size(uint64_t size, uint64_t configured) {
    uint64_t part = configured ? configured : 16 * k_mib;
    // Fewer, larger parts for big files (up to 64 MiB), then whatever it
    // takes to stay within S3's 10000-part limit.
    while (!configured && part < 64 * k_mib && size / part > 1000)
        part *= 2;
    while ((size + part - 1) / part > k_max_parts)
        part *= 2;
    return part;
}

} // namespace

Status S3Backend::put_multipart(const std::string& name, int fd, uint64_t size) {
    const std::string key = key_of(name);
    S3Call create;
    create.method = "POST";
    create.key = key;
    create.subject = name;
    create.query = {{"uploads", ""}};
    auto created = m_client.send_ok(create);
    if (!created) return unexpected(created.error());
    auto doc = parse_xml(created->body);
    std::string upload_id = doc ? doc->child_text("UploadId") : "";
    if (upload_id.empty())
        return fail(FailureKind::error,
                    "endpoint " + m_client.config().endpoint + " did not start a multipart upload");

    const uint64_t part_size = choose_part_size(size, m_options.part_size);
    const uint64_t n_parts = (size + part_size - 1) / part_size;
    std::vector<std::string> etags(n_parts);
    std::atomic<uint64_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex failure_mutex;
    std::optional<Failure> first_failure;

    auto upload_part = [&](uint64_t index) -> Status {
        uint64_t offset = index * part_size;
        S3Call part;
        part.method = "PUT";
        part.key = key;
        part.subject = name;
        part.query = {{"partNumber", std::to_string(index + 1)}, {"uploadId", upload_id}};
        part.upload_fd = fd;
        part.upload_offset = offset;
        part.upload_length = std::min(part_size, size - offset);
        try {
            part.payload_hash = sha256_of_range(fd, offset, part.upload_length, name);
        } catch (const std::exception& e) {
            return fail(FailureKind::error, e.what());
        }
        Status result = fail(FailureKind::error, "not attempted");
        for (int attempt = 0; attempt < k_part_attempts; ++attempt) {
            if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
            auto response = m_client.send_ok(part);
            if (response) {
                etags[index] = response->header("etag");
                if (etags[index].empty())
                    return fail(FailureKind::error,
                                "part without ETag from " + m_client.config().endpoint);
                return {};
            }
            result = unexpected(response.error());
            if (!response.error().retryable()) break;
        }
        return result;
    };

    auto worker = [&] {
        for (uint64_t i = next++; i < n_parts && !failed; i = next++) {
            if (Status st = upload_part(i); !st) {
                std::lock_guard lock(failure_mutex);
                if (!first_failure) first_failure = st.error();
                failed = true;
            }
        }
    };
    std::vector<std::thread> threads;
    int n_threads = static_cast<int>(
        std::min<uint64_t>(static_cast<uint64_t>(m_options.upload_threads), n_parts));
    for (int t = 0; t < n_threads; ++t)
        threads.emplace_back(worker);
    for (auto& t : threads)
        t.join();

    Status outcome;
    bool completion_maybe_applied = false;
    if (first_failure)
        outcome = unexpected(*first_failure);
    else
        outcome = complete_upload(key, name, upload_id, etags, completion_maybe_applied);
    if (outcome) return outcome;
    // Parts of an aborted upload are gone; a completion that may have gone
    // through leaves an object that only remove() can take away.
    Failure failure = outcome.error();
    failure.nothing_stored = abort_or_remember(key, upload_id) && !completion_maybe_applied;
    return unexpected(std::move(failure));
}

Status S3Backend::complete_upload(const std::string& key, const std::string& name, const std::string& upload_id,
                                  const std::vector<std::string>& etags, bool& maybe_applied) {
    std::string body = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags.size(); ++i)
        body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + xml_escape(etags[i]) +
                "</ETag></Part>";
    body += "</CompleteMultipartUpload>";
    S3Call complete;
    complete.method = "POST";
    complete.key = key;
    complete.subject = name;
    complete.query = {{"uploadId", upload_id}};
    complete.body = body;

    Status outcome;
    for (int attempt = 0; attempt < k_complete_attempts; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
        auto done = m_client.send_ok(complete);
        if (done) {
            // S3 may answer 200 and still report an error in the body; the
            // upload then stays open and the completion may be sent again.
            auto result = parse_xml(done->body);
            if (result && result->name != "Error") return {};
            outcome = fail(FailureKind::transient, "completing the upload of " + name + " failed (" +
                                                       (result ? result->child_text("Code") : "no answer") + ")");
            continue;
        }
        // The upload is gone after an attempt that may have completed it:
        // it did. put() checks the stored object's size.
        if (maybe_applied && done.error().kind == FailureKind::not_found) return {};
        outcome = unexpected(done.error());
        if (!done.error().nothing_stored) maybe_applied = true;
        if (!done.error().retryable()) break;
    }
    return outcome;
}

Status S3Backend::abort_upload(const std::string& key, const std::string& upload_id) {
    S3Call abort;
    abort.method = "DELETE";
    abort.key = key;
    abort.subject = key.substr(std::min(key.size(), m_client.config().prefix.size()));
    abort.query = {{"uploadId", upload_id}};
    auto response = m_client.send(abort);
    if (!response) return unexpected(response.error());
    if (response->status == 404 || (response->status >= 200 && response->status < 300)) return {};
    return unexpected(m_client.failure_of(*response, abort));
}

bool S3Backend::abort_or_remember(const std::string& key, const std::string& upload_id) {
    Status aborted = abort_upload(key, upload_id);
    if (aborted) return true;
    if (!aborted.error().retryable()) return false; // refused for good: nothing to retry
    // Its parts would stay stored (and billed) for good. The store may be
    // back by the next put; if this process dies first, the save's
    // pending_upload row leads a later remove() to the upload.
    std::lock_guard lock(m_unaborted_mutex);
    m_unaborted.emplace_back(key, upload_id);
    return false;
}

void S3Backend::retry_failed_aborts() {
    std::vector<std::pair<std::string, std::string>> pending;
    {
        std::lock_guard lock(m_unaborted_mutex);
        pending.swap(m_unaborted);
    }
    for (const auto& [key, upload_id] : pending)
        abort_or_remember(key, upload_id);
}

} // namespace cairn::storage::s3
