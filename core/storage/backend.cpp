#include "core/storage/backend.hpp"
#include "core/storage/warm_up.hpp"

#include "core/storage/local/local_backend.hpp"
#include "core/storage/s3/http.hpp"
#include "core/util/error.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace cairn::storage {

std::vector<std::pair<std::string, Failure>>
Backend::remove_many(const std::vector<std::string>& names) {
    std::vector<std::pair<std::string, Failure>> failed;
    for (const auto& name : names)
        if (auto st = remove(name); !st) failed.emplace_back(name, st.error());
    return failed;
}

Result<std::vector<ObjectVersion>> Backend::versions_of(const std::vector<std::string>& names) {
    std::vector<ObjectVersion> out;
    for (const auto& group : group_by_directory(names)) {
        auto listed = list_versions(group.prefix);
        if (!listed) return unexpected(listed.error());
        // The listing is by prefix: keep only the names asked about.
        for (auto& v : *listed)
            if (std::binary_search(group.names.begin(), group.names.end(), v.name))
                out.push_back(std::move(v));
    }
    return out;
}

namespace {

bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

std::string dir_of(const std::string& name) {
    auto slash = name.rfind('/');
    return slash == std::string::npos ? std::string() : name.substr(0, slash + 1);
}

size_t common_length(const std::string& a, const std::string& b) {
    size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n])
        ++n;
    return n;
}

} // namespace

std::vector<NameGroup> group_by_directory(const std::vector<std::string>& names) {
    std::set<std::string> sorted(names.begin(), names.end());
    std::map<std::string, NameGroup> by_dir;
    for (const auto& name : sorted) {
        NameGroup& g = by_dir[dir_of(name)];
        // The prefix narrows to what every name of the group shares.
        g.prefix = g.names.empty() ? name : g.prefix.substr(0, common_length(g.prefix, name));
        g.names.push_back(name);
    }
    std::vector<NameGroup> out;
    for (auto& [dir, group] : by_dir)
        out.push_back(std::move(group));
    return out;
}

// Declared here, defined in core/storage/s3/ so this file does not depend on curl.
std::unique_ptr<Backend> open_s3_backend(const Location& location);

Result<Created> Backend::put_if_absent(const std::string& name, const std::filesystem::path& /*source*/,
                                       const PutOnceOptions& /*options*/) {
    return fail(FailureKind::error, "storage " + describe() + " cannot create " + name + " write-once");
}

std::unique_ptr<Backend> open_backend(const Location& location) {
    const std::string& url = location.url;
    if (starts_with(url, "s3://") || starts_with(url, "gs://")) return open_s3_backend(location);
    if (starts_with(url, "file://")) return open_local_backend(url.substr(7));
    if (starts_with(url, "/")) return open_local_backend(url);
    throw Error(ErrorKind::config, "unsupported storage location '" + url + "'",
                "use an absolute directory, file:///dir, s3://bucket/prefix or gs://bucket/prefix");
}

std::jthread warm_up(const Location& location) {
    const std::string& url = location.url;
    if (!starts_with(url, "s3://") && !starts_with(url, "gs://")) return {};
    return std::jthread([] {
        try {
            s3::http_global_init();
        } catch (...) {
            // The first request loads it again and reports the failure.
        }
    });
}

} // namespace cairn::storage
