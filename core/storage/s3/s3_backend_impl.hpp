#pragma once
// Internal: the S3 backend class, implemented across s3_backend.cpp (object
// I/O), s3_multipart.cpp (large uploads), s3_listing.cpp (listing and
// deletion) and s3_probe.cpp.
#include "core/storage/s3/s3_backend.hpp"
#include "core/storage/s3/s3_client.hpp"

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
    Status get(const std::string& name, const std::filesystem::path& dest) override;
    Result<std::string> get_range(const std::string& name, uint64_t offset,
                                  uint64_t length) override;
    Result<ObjectInfo> stat(const std::string& name) override;
    Result<std::vector<ObjectInfo>> list(const std::string& prefix) override;
    Result<std::vector<ObjectVersion>> list_versions(const std::string& prefix) override;
    Status remove(const std::string& name) override;
    std::vector<std::pair<std::string, Failure>>
    remove_many(const std::vector<std::string>& names) override;
    ProbeReport probe() override;

  private:
    std::string key_of(const std::string& name) const { return m_client.config().prefix + name; }
    Status put_single(const std::string& name, int fd, uint64_t size);
    Status put_multipart(const std::string& name, int fd, uint64_t size);
    // Deletes every version and delete marker of each name; per-name
    // failures go to `failed`.
    Status delete_versions_of(const std::vector<std::string>& names,
                              std::vector<std::pair<std::string, Failure>>& failed);

    S3Client m_client;
    S3Options m_options;
};

} // namespace cairn::storage::s3
