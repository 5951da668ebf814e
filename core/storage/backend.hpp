#pragma once
// The one storage interface. Every backend (local directory, S3, GCS) and
// every wrapper (retry, dry-run) implements it; one conformance suite
// (core/storage/conformance.{hpp,cpp}) runs against each.
//
// Object names are relative to the location's prefix and are opaque random
// ids chosen by cairn ("objects/3f/3f9a..."): they never reveal an artifact's
// key or content hash.
//
// Backends never throw for I/O failures: they return a Failure so callers can
// retry, tolerate or report. They may throw cairn::Error for programming
// errors or invalid configuration.
#include "core/util/fs.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cairn::storage {

enum class FailureKind {
    not_found,  // the object (or the bucket) does not exist
    timeout,    // no answer in time; retryable
    auth,       // credentials refused, clock skew, forbidden
    transient,  // 5xx, throttling, connection reset; retryable
    error,      // anything else; not retryable
};

struct Failure {
    FailureKind kind = FailureKind::error;
    std::string message; // never contains credentials
    // The store refused the write outright (an HTTP 4xx answer: the request
    // was not applied), so it holds nothing of it to clean up.
    bool nothing_stored = false;
    bool retryable() const { return kind == FailureKind::timeout || kind == FailureKind::transient; }
};

template <class T> using Result = cairn::Result<T, Failure>;
using Status = cairn::Result<void, Failure>;

inline Unexpected<Failure> fail(FailureKind kind, std::string message) {
    return unexpected(Failure{kind, std::move(message)});
}

struct ObjectInfo {
    std::string name;
    uint64_t size = 0;
};

struct ObjectVersion {
    std::string name;
    std::string version_id; // empty on unversioned stores
    bool is_delete_marker = false;
};

// What a probe found out about a location (init and purge status report it).
struct ProbeReport {
    bool can_write = false, can_read = false, can_list = false, can_delete = false;
    bool versioning = false;          // object versions are kept after delete/overwrite
    bool object_lock = false;         // versions may be impossible to delete in time
    std::optional<int> soft_delete_days; // GCS soft delete retention
    std::vector<std::string> notes;   // human-readable findings
    // put_if_absent() refused to replace an existing object (the store honours
    // write-once); false: a second put_if_absent replaced it; nullopt: not probed.
    std::optional<bool> write_once{};
};

// What put_if_absent() did.
enum class Created { yes, no };

struct PutOnceOptions {
    // When > 0 and the store supports it (S3 Object Lock), the object is
    // also locked (GOVERNANCE retention) for this many days.
    int retain_days = 0;
};

class Backend {
public:
    virtual ~Backend() = default;

    // A printable description of the location (no credentials).
    virtual std::string describe() const = 0;

    // Stores the content of `source` as `name`. Atomic: afterwards the object
    // is complete or absent, never partial. Overwrites an existing object.
    virtual Status put(const std::string& name, const std::filesystem::path& source) = 0;

    // Stores the finished temp file `temp` as `name`, as put() does. A
    // directory on the same filesystem as `temp` renames it into place
    // instead (fsynced, so `temp.committed()` afterwards): the content is
    // written once. Other backends upload it and leave `temp` alone.
    virtual Status put_temp(const std::string& name, fs::TempFile& temp) { return put(name, temp.path()); }

    // The object's file when the store is a directory on this machine, so
    // readers open it in place and no cached copy is kept; remote stores
    // return nothing. The file may be absent or damaged: readers check.
    virtual std::optional<std::filesystem::path> local_path(const std::string& /*name*/) const { return std::nullopt; }

    // Stores `source` as `name` only if no object has that name: Created::no
    // when one exists (its content untouched, as far as the store enforces
    // it). Write-once: a directory creates the file exclusively (link(2) of
    // a complete temp file, mode 0444); S3 sends `If-None-Match: *` (a store
    // that ignores the header overwrites: probe() reports it as write_once
    // false). For small objects (checkpoints). The default refuses: the
    // backend cannot create exclusively.
    virtual Result<Created> put_if_absent(const std::string& name, const std::filesystem::path& source,
                                          const PutOnceOptions& options);

    // Downloads `name` into `dest` (created or truncated). On failure `dest`
    // may hold partial data; the caller writes to a temp file.
    virtual Status get(const std::string& name, const std::filesystem::path& dest) = 0;

    // Reads `length` bytes at `offset`. Fewer bytes only at end of object.
    virtual Result<std::string> get_range(const std::string& name, uint64_t offset,
                                          uint64_t length) = 0;

    // Size of an object; not_found if absent (the latest version is a delete
    // marker counts as absent).
    virtual Result<ObjectInfo> stat(const std::string& name) = 0;

    // All current objects whose name starts with `prefix`.
    virtual Result<std::vector<ObjectInfo>> list(const std::string& prefix) = 0;

    // Every stored version and delete marker whose name starts with `prefix`.
    // On unversioned stores this is one entry per current object.
    virtual Result<std::vector<ObjectVersion>> list_versions(const std::string& prefix) = 0;

    // Every stored version and delete marker of exactly these names (other
    // objects that share a prefix with them are never reported). The default
    // lists each group of names that share a directory once, by the group's
    // longest common prefix (group_by_directory), so checking many objects
    // costs one listing per directory rather than one per object.
    virtual Result<std::vector<ObjectVersion>> versions_of(const std::vector<std::string>& names);

    // Destroys `name` for good: every version and every delete marker, and
    // any unfinished multipart upload of it (left by a killed or failed
    // save). Removing an absent object succeeds (idempotent).
    virtual Status remove(const std::string& name) = 0;

    // Removes many objects (all versions of each); backends may batch.
    // Returns the names that could not be removed, with the failure.
    virtual std::vector<std::pair<std::string, Failure>> remove_many(const std::vector<std::string>& names);

    // Writes, reads, lists and deletes a probe object and reports what the
    // location supports. Never leaves the probe object behind on success.
    virtual ProbeReport probe() = 0;
};

// Names that share a directory ("objects/3f/"), to be listed together.
struct NameGroup {
    std::string prefix;             // the longest common prefix of `names`
    std::vector<std::string> names; // sorted, without duplicates
};

// Groups names by directory (everything up to the last '/'); a group of one
// name has that name as its prefix. Groups come in name order.
std::vector<NameGroup> group_by_directory(const std::vector<std::string>& names);

// Parameters needed to open a storage location, from the instance config.
struct Location {
    std::string url;      // "/abs/dir", "file:///abs/dir", "s3://bucket/prefix", "gs://bucket/prefix"
    std::string endpoint; // optional custom endpoint URL (S3-compatible stores)
    std::string region;   // optional; S3 default from the environment or us-east-1
    bool allow_http = false; // plain http allowed only for loopback endpoints and only if set
    std::string addressing; // "path", "virtual" or "" (auto)
    bool operator==(const Location&) const = default;
};

// Opens the backend for a location by its scheme. Throws cairn::Error
// (config) for unknown schemes and invalid settings.
std::unique_ptr<Backend> open_backend(const Location& location);

// Wraps a backend so that retryable failures are retried with exponential
// backoff and full jitter, up to `attempts` tries.
std::unique_ptr<Backend> with_retry(std::unique_ptr<Backend> inner, int attempts = 5,
                                    int base_delay_ms = 200);

} // namespace cairn::storage
