#include "core/storage/backend.hpp"

#include "core/storage/local/local_backend.hpp"
#include "core/util/error.hpp"

namespace cairn::storage {

std::vector<std::pair<std::string, Failure>>
Backend::remove_many(const std::vector<std::string>& names) {
    std::vector<std::pair<std::string, Failure>> failed;
    for (const auto& name : names)
        if (auto st = remove(name); !st) failed.emplace_back(name, st.error());
    return failed;
}

namespace {
bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }
} // namespace

// Declared here, defined in core/storage/s3/ so this file does not depend on curl.
std::unique_ptr<Backend> open_s3_backend(const Location& location);

std::unique_ptr<Backend> open_backend(const Location& location) {
    const std::string& url = location.url;
    if (starts_with(url, "s3://") || starts_with(url, "gs://")) return open_s3_backend(location);
    if (starts_with(url, "file://")) return open_local_backend(url.substr(7));
    if (starts_with(url, "/")) return open_local_backend(url);
    throw Error(ErrorKind::config, "unsupported storage location '" + url + "'",
                "use an absolute directory, file:///dir, s3://bucket/prefix or gs://bucket/prefix");
}

} // namespace cairn::storage
