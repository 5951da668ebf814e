#include "core/artifact/ref.hpp"

#include "core/util/error.hpp"

#include <charconv>
#include <regex>

namespace cairn::artifact {

bool is_valid_utf8(std::string_view s) {
    size_t i = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    while (i < s.size()) {
        unsigned c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        unsigned cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
        for (size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

void validate_key(std::string_view key) {
    auto bad = [&](const std::string& why) {
        throw Error(ErrorKind::usage, "invalid key: " + why,
                    "use a relative name like 'project/data.csv' (UTF-8, no control characters, no '..')");
    };
    if (key.empty()) bad("empty");
    if (key.size() > k_max_key_bytes) bad("longer than 1024 bytes");
    if (!is_valid_utf8(key)) bad("not valid UTF-8");
    for (unsigned char c : key)
        if (c < 0x20 || c == 0x7f) bad("contains a control character");
    if (key.front() == '/') bad("starts with '/'");
    size_t start = 0;
    while (start <= key.size()) {
        size_t end = key.find('/', start);
        if (end == std::string_view::npos) end = key.size();
        std::string_view part = key.substr(start, end - start);
        if (part.empty() && end != key.size()) bad("has an empty path component");
        if (part == "." || part == "..") bad("has a '" + std::string(part) + "' path component");
        start = end + 1;
    }
    static const std::regex k_version_suffix(R"(@v[0-9]+$)");
    if (std::regex_search(std::string(key), k_version_suffix)) bad("ends with '@vN', which means a version");
}

namespace {

const std::regex k_uid_pattern("^[0-9a-v]{16}$");

catalog::ArtifactRow resolve_impl(catalog::Catalog& catalog, const std::string& ref, bool any_state) {
    auto usable = [&](const std::optional<catalog::ArtifactRow>& row) {
        return row && (any_state ? row->state != "deleted" : row->state == "active");
    };
    if (std::regex_match(ref, k_uid_pattern)) {
        auto row = catalog::find_by_uid(catalog, ref);
        if (usable(row)) return *row;
    }
    static const std::regex k_versioned(R"(^(.+)@v([0-9]{1,9})$)");
    std::smatch m;
    std::optional<catalog::ArtifactRow> row;
    if (std::regex_match(ref, m, k_versioned)) {
        row = catalog::find_version(catalog, m[1].str(), std::stoi(m[2].str()));
    } else if (any_state) {
        SQLite::Statement q(catalog.db(), std::string("SELECT ") + catalog::k_artifact_columns +
                                              " FROM artifact a LEFT JOIN storage s ON s.id = a.storage_id"
                                              " WHERE a.key = ? AND a.state != 'deleted' ORDER BY a.version DESC LIMIT 1");
        q.bind(1, ref);
        if (q.executeStep()) row = catalog::read_artifact(q);
    } else {
        row = catalog::find_latest(catalog, ref);
    }
    if (usable(row)) return *row;
    std::string why = (row && row->state == "pending_deletion") ? " (it is pending deletion)" :
                      (row && row->state == "deleted") ? " (it was deleted)" : "";
    throw Error(ErrorKind::not_found, "no artifact '" + ref + "'" + why, "list artifacts with 'cairn ls'");
}

} // namespace

catalog::ArtifactRow resolve(catalog::Catalog& catalog, const std::string& ref) {
    return resolve_impl(catalog, ref, false);
}

catalog::ArtifactRow resolve_any_state(catalog::Catalog& catalog, const std::string& ref) {
    return resolve_impl(catalog, ref, true);
}

} // namespace cairn::artifact
