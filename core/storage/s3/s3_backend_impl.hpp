#pragma once
// Internal: the S3 backend class, implemented across s3_backend.cpp (object
// I/O), s3_multipart.cpp (large uploads), s3_listing.cpp (listing and
// deletion) and s3_probe.cpp.
#include "core/storage/s3/s3_backend.hpp"
#include "core/storage/s3/s3_client.hpp"
#include "core/storage/s3/s3_responses.hpp"

#include <mutex>

namespace cairn::storage::s3 {

// SHA-256 (hex) of `length` bytes of fd at `offset`, in constant memory.
// Throws cairn::Error when the file is shorter or unreadable.
std::string sha256_of_range(int fd, uint64_t offset, uint64_t length,
                            const std::filesystem::path& what);

class S3Backend final : public Backend {
  public:
    S3Backend(S3Config config, Credentials credentials, const S3Options& options);

    std::string describe() const override;
    Status put(const std::string& name, const std::filesystem::path& source) override;
    Result<Created> put_if_absent(const std::string& name, const std::filesystem::path& source,
                                  const PutOnceOptions& options) override;
    Status get(const std::string& name, const std::filesystem::path& dest) override;
    Result<std::string> get_range(const std::string& name, uint64_t offset,
                                  uint64_t length) override;
    Result<ObjectInfo> stat(const std::string& name) override;
    Result<std::vector<ObjectInfo>> list(const std::string& prefix) override;
    Result<std::vector<ObjectVersion>> list_versions(const std::string& prefix) override;
    Result<std::vector<ObjectVersion>> versions_of(const std::vector<std::string>& names) override;
    Status remove(const std::string& name) override;
    std::vector<std::pair<std::string, Failure>>
    remove_many(const std::vector<std::string>& names) override;
    ProbeReport probe() override;

  private:
    using Failures = std::vector<std::pair<std::string, Failure>>;
    using PageMarker = s3::PageMarker;
    using VersionPage = s3::VersionPage;
    using Upload = s3::Upload;

    std::string key_of(const std::string& name) const { return m_client.config().prefix + name; }
    // `verified`: the store answered with the MD5 of the body as the ETag.
    Status put_single(const std::string& name, int fd, uint64_t size, bool& verified);
    Status put_multipart(const std::string& name, int fd, uint64_t size);
    // CompleteMultipartUpload, retried on its own (never the parts) while it
    // fails transiently. `maybe_applied`: an attempt may have completed the
    // upload although it failed (a timeout, a 5xx).
    Status complete_upload(const std::string& key, const std::string& name, const std::string& upload_id,
                           const std::vector<std::string>& etags, bool& maybe_applied);
    // Whether a second put_if_absent of one name is refused (probe).
    std::optional<bool> probe_write_once(std::vector<std::string>& notes);

    // One page of ListObjectVersions under the location prefix + `prefix`.
    Result<VersionPage> list_versions_page(const std::string& prefix, const PageMarker& from);
    // Appends every version and delete marker of the group's names to `out`
    // (nothing on failure).
    Status collect_versions(const NameGroup& group, std::vector<ObjectVersion>& out);
    // Unfinished multipart uploads under the location prefix + `prefix`.
    Result<std::vector<Upload>> list_uploads(const std::string& prefix);
    // Aborts every unfinished upload of `names`; per-name failures go to `failed`.
    void abort_uploads_of(const std::vector<std::string>& names, Failures& failed);
    void delete_plainly(const std::vector<std::string>& names, Failures& failed);
    void delete_one_by_one(const std::vector<ObjectVersion>& versions, Failures& failed);
    void delete_in_batches(const std::vector<ObjectVersion>& versions, Failures& failed);

    // Aborts one multipart upload; an upload that is already gone counts as aborted.
    Status abort_upload(const std::string& key, const std::string& upload_id);
    // Aborts a failed upload, or remembers it when the abort failed in a
    // retryable way (unreachable, throttling) so a later put tries again.
    // Returns whether the upload is gone.
    bool abort_or_remember(const std::string& key, const std::string& upload_id);
    // Tries the remembered aborts again; those that fail stay remembered.
    void retry_failed_aborts();

    S3Client m_client;
    S3Options m_options;
    std::mutex m_unaborted_mutex;
    std::vector<std::pair<std::string, std::string>> m_unaborted; // (key, upload id)
};

} // namespace cairn::storage::s3
