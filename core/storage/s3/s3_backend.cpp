// Object I/O of the S3 backend: put (single or multipart, then verified),
// get (streamed to a file), ranged reads and stat.
#include "core/storage/s3/s3_backend_impl.hpp"

#include "core/crypto/sha256.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/time.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <openssl/evp.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace cairn::storage::s3 {

namespace {

Failure io_failure(const std::exception& e) {
    return Failure{FailureKind::error, e.what()};
}

} // namespace

namespace {

// MD5 over OpenSSL EVP, for Content-MD5 and the ETag of a single PUT. An
// OpenSSL without MD5 (FIPS-only) leaves it unavailable.
class Md5 {
  public:
    Md5() : m_ctx(EVP_MD_CTX_new()) {
        m_ok = m_ctx && EVP_DigestInit_ex(m_ctx, EVP_md5(), nullptr) == 1;
    }
    ~Md5() { EVP_MD_CTX_free(m_ctx); }
    Md5(const Md5&) = delete;
    Md5& operator=(const Md5&) = delete;
    void update(std::span<const std::byte> data) {
        m_ok = m_ok && EVP_DigestUpdate(m_ctx, data.data(), data.size()) == 1;
    }
    // The digest, or nothing when MD5 is unavailable.
    std::optional<std::array<unsigned char, 16>> finish() {
        std::array<unsigned char, 16> out{};
        unsigned len = 0;
        if (!m_ok || EVP_DigestFinal_ex(m_ctx, out.data(), &len) != 1 || len != out.size())
            return std::nullopt;
        return out;
    }

  private:
    EVP_MD_CTX* m_ctx;
    bool m_ok = false;
};

std::string base64(std::span<const unsigned char> data) {
    std::string out(4 * ((data.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                            static_cast<int>(data.size()));
    out.resize(static_cast<size_t>(std::max(n, 0)));
    return out;
}

// Whether an ETag ("\"<hex>\"") names this MD5.
bool etag_is_md5(std::string etag, const std::array<unsigned char, 16>& md5) {
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
        etag = etag.substr(1, etag.size() - 2);
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string want;
    for (unsigned char c : md5) {
        want += k_hex[c >> 4];
        want += k_hex[c & 15];
    }
    return etag.size() == want.size() &&
           std::equal(etag.begin(), etag.end(), want.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;
           });
}

// Reads `length` bytes of fd at `offset` once, in constant memory, handing
// every chunk to `sink`.
template <class Sink>
void read_range(int fd, uint64_t offset, uint64_t length, const std::filesystem::path& what,
                Sink&& sink) {
    std::vector<std::byte> buf(static_cast<size_t>(std::min<uint64_t>(length, 1 << 20)));
    while (length > 0) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), length));
        fs::pread_exact(fd, std::span(buf.data(), n), offset, what);
        sink(std::span<const std::byte>(buf.data(), n));
        offset += n;
        length -= n;
    }
}

} // namespace

std::string sha256_of_range(int fd, uint64_t offset, uint64_t length,
                            const std::filesystem::path& what) {
    crypto::Sha256 hash;
    read_range(fd, offset, length, what, [&](std::span<const std::byte> d) { hash.update(d); });
    return hash.finish_hex();
}

S3Backend::S3Backend(S3Config config, Credentials credentials, const S3Options& options)
    : m_client(std::move(config), std::move(credentials), options.http), m_options(options) {}

std::string S3Backend::describe() const {
    const S3Config& c = m_client.config();
    return std::string(c.gcs ? "gs://" : "s3://") + c.bucket + "/" + c.prefix + " at " + c.endpoint;
}

Status S3Backend::put(const std::string& name, const std::filesystem::path& source) {
    uint64_t size = 0;
    fs::Fd fd;
    try {
        fd = fs::open_read(source);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0)
            return fail(FailureKind::error, "cannot stat " + source.string());
        size = static_cast<uint64_t>(st.st_size);
    } catch (const std::exception& e) {
        return unexpected(io_failure(e));
    }
    bool verified = false;
    Status st = size > m_options.multipart_threshold ? put_multipart(name, fd.get(), size)
                                                     : put_single(name, fd.get(), size, verified);
    // An earlier upload whose abort failed (the store was unreachable or
    // throttling) may be abortable now.
    retry_failed_aborts();
    if (!st) return st;
    // The store acknowledged the upload; make sure it holds what we sent. A
    // single PUT answered with the MD5 of our body as its ETag already says
    // so: the store checked the received body against the signed SHA-256
    // and the Content-MD5, and names the MD5 of what it stored, so the
    // object has our bytes and hence our size. Otherwise (multipart uploads,
    // ETags that are no MD5, e.g. with SSE-KMS) ask for the stored size.
    if (verified) return {};
    auto info = stat(name);
    if (!info) {
        Failure failure = info.error(); // a 404 here does not mean the PUT stored nothing
        failure.nothing_stored = false;
        return unexpected(std::move(failure));
    }
    if (info->size != size)
        return fail(FailureKind::error, "object " + name + " has " + std::to_string(info->size) +
                                            " bytes after upload, expected " +
                                            std::to_string(size));
    return {};
}

Status S3Backend::put_single(const std::string& name, int fd, uint64_t size, bool& verified) {
    verified = false;
    S3Call call;
    call.method = "PUT";
    call.key = key_of(name);
    call.subject = name;
    call.upload_fd = fd;
    call.upload_length = size;
    std::optional<std::array<unsigned char, 16>> md5;
    try {
        crypto::Sha256 sha; // one pass over the body for both digests
        Md5 md;
        read_range(fd, 0, size, name, [&](std::span<const std::byte> d) {
            sha.update(d);
            md.update(d);
        });
        call.payload_hash = sha.finish_hex();
        md5 = md.finish();
    } catch (const std::exception& e) {
        return unexpected(io_failure(e));
    }
    // The store refuses a body whose MD5 differs (BadDigest), as it refuses
    // one whose SHA-256 differs from the signed x-amz-content-sha256.
    if (md5) call.headers.emplace_back("content-md5", base64(*md5));
    auto response = m_client.send_ok(call);
    if (!response) return unexpected(response.error());
    verified = md5 && etag_is_md5(response->header("etag"), *md5);
    return {};
}

// One PUT with `If-None-Match: *`: the store answers 412 when the name
// exists (AWS S3 since 2024; a store that ignores the header overwrites,
// which probe() detects). With retain_days, an Object Lock retention in
// GOVERNANCE mode is set in the same request.
Result<Created> S3Backend::put_if_absent(const std::string& name, const std::filesystem::path& source,
                                         const PutOnceOptions& options) {
    S3Call call;
    call.method = "PUT";
    call.key = key_of(name);
    call.subject = name;
    fs::Fd fd;
    try {
        fd = fs::open_read(source);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return fail(FailureKind::error, "cannot stat " + source.string());
        call.upload_length = static_cast<uint64_t>(st.st_size);
        call.upload_fd = fd.get();
        crypto::Sha256 sha;
        Md5 md;
        read_range(fd.get(), 0, call.upload_length, name, [&](std::span<const std::byte> d) {
            sha.update(d);
            md.update(d);
        });
        call.payload_hash = sha.finish_hex();
        if (auto md5 = md.finish()) call.headers.emplace_back("content-md5", base64(*md5));
    } catch (const std::exception& e) {
        return unexpected(io_failure(e));
    }
    call.headers.emplace_back("if-none-match", "*");
    if (options.retain_days > 0) {
        call.headers.emplace_back("x-amz-object-lock-mode", "GOVERNANCE");
        call.headers.emplace_back("x-amz-object-lock-retain-until-date",
                                  format_utc_ms(now_ms() + int64_t{options.retain_days} * 86'400'000));
    }
    auto response = m_client.send(call);
    if (!response) return unexpected(response.error());
    if (response->status == 412) return Created::no;
    if (response->status >= 200 && response->status < 300) return Created::yes;
    if (response->status == 409) // a concurrent conditional write: try again (then 412)
        return fail(FailureKind::transient, "conflicting concurrent write of " + name + " (HTTP 409)");
    return unexpected(m_client.failure_of(*response, call));
}

Status S3Backend::get(const std::string& name, const std::filesystem::path& dest) {
    int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        return fail(FailureKind::error,
                    "cannot write " + dest.string() + ": " + std::strerror(errno));
    fs::Fd out_fd(out);
    S3Call call;
    call.key = key_of(name);
    call.subject = name;
    call.download_fd = out;
    auto response = m_client.send_ok(call);
    if (!response) return unexpected(response.error());
    std::string expected = response->header("content-length");
    if (!expected.empty() && std::to_string(response->downloaded) != expected)
        return fail(FailureKind::transient, "download of " + name + " was cut short");
    return {};
}

Result<std::string> S3Backend::get_range(const std::string& name, uint64_t offset,
                                         uint64_t length) {
    if (length == 0) {
        auto info = stat(name);
        if (!info) return unexpected(info.error());
        return std::string{};
    }
    S3Call call;
    call.key = key_of(name);
    call.subject = name;
    call.headers = {
        {"range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)}};
    auto response = m_client.send(call);
    if (!response) return unexpected(response.error());
    if (response->status == 416) return std::string{}; // the range starts at or after the end
    if (response->status == 206) return std::move(response->body);
    if (response->status == 200) { // the server ignored the range
        std::string& body = response->body;
        if (offset >= body.size()) return std::string{};
        return body.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
    }
    return unexpected(m_client.failure_of(*response, call));
}

Result<ObjectInfo> S3Backend::stat(const std::string& name) {
    S3Call call;
    call.method = "HEAD";
    call.key = key_of(name);
    call.subject = name;
    auto response = m_client.send_ok(call);
    if (!response) return unexpected(response.error());
    std::string length = response->header("content-length");
    if (length.empty() || length.find_first_not_of("0123456789") != std::string::npos)
        return fail(FailureKind::error,
                    "HEAD " + name + " at " + m_client.config().endpoint + " gave no size");
    return ObjectInfo{name, std::stoull(length)};
}

} // namespace cairn::storage::s3

namespace cairn::storage {

std::unique_ptr<Backend> open_s3_backend(const Location& location) {
    return open_s3_backend(location, S3Options{});
}

namespace {

// Seconds from CAIRN_STORAGE_TIMEOUT; a config error names the variable.
long timeout_from_env(const std::string& text) {
    constexpr long k_max = 86'400;
    long seconds = 0;
    bool digits = !text.empty() && text.size() <= 5 &&
                  text.find_first_not_of("0123456789") == std::string::npos;
    if (digits) seconds = std::stol(text);
    if (seconds < 1 || seconds > k_max)
        throw Error(
            ErrorKind::config,
            "CAIRN_STORAGE_TIMEOUT must be a whole number of seconds from 1 to 86400, not '" +
                text + "'");
    return seconds;
}

} // namespace

S3Options resolve_s3_options(const S3Options& options) {
    S3Options effective = options;
    // A private CA is added by file, as the aws CLI does; verification stays on.
    if (auto ca = options.env("AWS_CA_BUNDLE");
        ca && !ca->empty() && effective.http.ca_bundle.empty())
        effective.http.ca_bundle = *ca;
    if (auto timeout = options.env("CAIRN_STORAGE_TIMEOUT"); timeout && !timeout->empty()) {
        // One knob for "the store stopped answering": no progress for this
        // long abandons a request (and the retry wrapper may try again).
        long seconds = timeout_from_env(*timeout);
        effective.http.low_speed_time_s = seconds;
        effective.http.connect_timeout_s = std::min(options.http.connect_timeout_s, seconds);
    }
    return effective;
}

std::unique_ptr<Backend> open_s3_backend(const Location& location, const S3Options& options) {
    s3::AwsSettings settings = s3::resolve_aws_settings(options.env);
    s3::S3Config config = s3::resolve_s3_config(location, settings);
    if (settings.credentials.empty())
        throw Error(ErrorKind::config, "no credentials found for " + location.url,
                    config.gcs
                        ? "create an HMAC key for a service account and set AWS_ACCESS_KEY_ID and "
                          "AWS_SECRET_ACCESS_KEY (see docs/STORAGE.md)"
                        : "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with "
                          "~/.aws/credentials");
    if (options.upload_threads < 1 || (options.part_size != 0 && options.part_size < (5ull << 20)))
        throw Error(ErrorKind::config, "invalid S3 upload settings (threads >= 1, parts >= 5 MiB)");
    return std::make_unique<s3::S3Backend>(std::move(config), std::move(settings.credentials),
                                           resolve_s3_options(options));
}

} // namespace cairn::storage
