#include "core/artifact/ref.hpp"

#include "core/artifact/key_text.hpp"
#include "core/audit/resolved.hpp"
#include "core/util/error.hpp"
#include "core/util/utf8.hpp"

#include <charconv>

namespace cairn::artifact {

bool is_valid_utf8(std::string_view s) {
    return cairn::is_valid_utf8(s);
}

namespace {

// Where a trailing "@v<digits>" starts (@v[0-9]+$), or npos.
size_t version_suffix_at(std::string_view s) {
    size_t digits = s.size();
    while (digits > 0 && s[digits - 1] >= '0' && s[digits - 1] <= '9') --digits;
    if (digits == s.size() || digits < 2 || s[digits - 2] != '@' || s[digits - 1] != 'v')
        return std::string_view::npos;
    return digits - 2;
}

// (These were std::regex patterns; compiling them cost every command time.)
// ^[0-9a-v]{16}$
bool looks_like_uid(std::string_view ref) {
    if (ref.size() != 16) return false;
    for (char c : ref)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'v'))) return false;
    return true;
}

} // namespace

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
    // Lookalikes (core/artifact/key_text.hpp): one visible name, one key.
    if (auto hidden = first_hidden_character(key))
        throw Error(ErrorKind::usage, "invalid key: contains " + *hidden,
                    "remove it: keys are compared byte by byte, so a character nobody sees makes a lookalike name");
    if (const std::string nfc = to_nfc(key); nfc != key)
        throw Error(ErrorKind::usage, "invalid key: not in Unicode NFC form (it looks like '" + nfc + "' but is spelled differently)",
                    "use the NFC spelling, e.g. --key '" + nfc + "'");
    if (key.front() == '/') bad("starts with '/'");
    if (key.back() == '/') bad("ends with '/'");
    size_t start = 0;
    while (start <= key.size()) {
        size_t end = key.find('/', start);
        if (end == std::string_view::npos) end = key.size();
        std::string_view part = key.substr(start, end - start);
        if (part.empty() && end != key.size()) bad("has an empty path component");
        if (part == "." || part == "..") bad("has a '" + std::string(part) + "' path component");
        start = end + 1;
    }
    if (version_suffix_at(key) != std::string_view::npos) bad("ends with '@vN', which means a version");
    // A REF of this form names a uid, so such a key could be mistaken for
    // another artifact (or make a uid mean this one).
    if (looks_like_uid(key))
        throw Error(ErrorKind::usage,
                    "invalid key: '" + std::string(key) + "' has the form of an artifact uid (16 characters 0-9a-v)",
                    "add a folder or an extension, e.g. '" + std::string(key) + ".csv' or 'data/" + std::string(key) + "'");
}

RefParts parse_ref(std::string_view ref) {
    RefParts parts;
    parts.may_be_uid = looks_like_uid(ref);
    parts.key = std::string(ref);
    // ^(.+)@v([0-9]{1,9})$ ('.' matches neither '\n' nor '\r')
    const size_t at = version_suffix_at(ref);
    if (at != std::string_view::npos && at > 0 && ref.size() - at - 2 <= 9 &&
        ref.find_first_of("\n\r") >= at) {
        int v = 0;
        std::from_chars(ref.data() + at + 2, ref.data() + ref.size(), v); // <= 9 digits: fits
        parts.key = std::string(ref.substr(0, at));
        parts.version = v;
    }
    return parts;
}

namespace {

catalog::ArtifactRow resolve_impl(catalog::Catalog& catalog, const std::string& ref, bool any_state) {
    auto usable = [&](const std::optional<catalog::ArtifactRow>& row) {
        return row && (any_state ? row->state != "deleted" : row->state == "active");
    };
    // Every row the REF finds is noted, usable or not (pending deletion,
    // deleted): a command that fails on it is then recorded against its uid,
    // which is how purge finds the event to redact (core/audit/resolved.hpp).
    auto note = [](const std::optional<catalog::ArtifactRow>& row) {
        if (row) audit::note_resolved(row->uid);
    };
    const RefParts parts = parse_ref(ref);
    if (parts.may_be_uid) {
        auto row = catalog::find_by_uid(catalog, ref);
        note(row);
        // Keys of this form are refused since they could pass for uids; one
        // saved before that is never silently preferred over, or hidden by,
        // the uid.
        if (usable(row) && catalog::key_in_use(catalog, ref))
            throw Error(ErrorKind::usage, "'" + ref + "' is both an artifact uid and a key",
                        "name the key's version, e.g. '" + ref + "@v1', or rename the key");
        if (usable(row)) return *row;
    }
    std::optional<catalog::ArtifactRow> row;
    if (parts.version) {
        row = catalog::find_version(catalog, parts.key, *parts.version);
    } else if (any_state) {
        sql::Statement q(catalog.sql(), std::string("SELECT ") + catalog::k_artifact_columns +
                                              " FROM artifact a LEFT JOIN storage s ON s.id = a.storage_id"
                                              " WHERE a.key = ? AND a.state != 'deleted' ORDER BY a.version DESC LIMIT 1");
        q.bind(1, ref);
        if (q.executeStep()) row = catalog::read_artifact(q);
    } else {
        row = catalog::find_latest(catalog, ref);
    }
    note(row);
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
