#include "core/audit/published.hpp"

#include "core/audit/keys.hpp"
#include "core/crypto/sha256.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <cstdio>

namespace cairn::audit {

namespace {

namespace stdfs = std::filesystem;

// A private temp file holding `text`, removed with the object.
struct TextFile {
    fs::TempFile file;
    explicit TextFile(std::string_view text)
        : file(stdfs::temp_directory_path(), "cairn-checkpoint") {
        fs::write_all(file.fd(), std::as_bytes(std::span(text.data(), text.size())), file.path());
        file.close();
    }
};

// The object's bytes, or the storage failure as an Error (exit 5, or 3 when absent).
std::string fetch(storage::Backend& backend, const std::string& url, const std::string& name) {
    fs::TempFile dest(stdfs::temp_directory_path(), "cairn-checkpoint-get");
    dest.close();
    auto got = backend.get(name, dest.path());
    if (!got)
        throw Error(got.error().kind == storage::FailureKind::not_found ? ErrorKind::not_found
                                                                        : ErrorKind::storage,
                    "cannot read published checkpoint " + name + " from " + url + ": " +
                        got.error().message,
                    "check the storage is reachable, then run 'cairn audit verify' again");
    return fs::read_file(dest.path());
}

void put_once(const AnchorLocation& loc, const std::string& name, const std::string& json,
              PublishOutcome& out) {
    const TextFile src(json);
    storage::PutOnceOptions options;
    if (loc.object_lock) options.retain_days = k_published_retain_days;
    auto put = loc.backend->put_if_absent(name, src.file.path(), options);
    if (!put) {
        out.failures.push_back(loc.url + ": " + put.error().message);
        return;
    }
    if (*put == storage::Created::no && fetch(*loc.backend, loc.url, name) != json)
        throw Error(ErrorKind::integrity,
                    "published checkpoint " + name + " at " + loc.url +
                        " already exists with other content",
                    "investigate who wrote it: names are unique per checkpoint content");
    out.published.push_back(loc.url);
}

void mark_published(catalog::Catalog& catalog, int64_t when) {
    catalog.write_transaction([&] {
        sql::Statement q(catalog.sql(), "INSERT INTO instance_info (name, value) VALUES (?, ?) "
                                          "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
        q.bind(1, std::string(k_published_setting));
        q.bind(2, std::to_string(when));
        q.exec();
    });
}

// The seq encoded in a published name, or -1 when the name is not one.
int64_t count_of(const std::string& name) {
    const std::string base = name.substr(k_published_prefix.size());
    if (base.size() != 20 + 1 + 16 + 5 || base[20] != '-' || base.substr(37) != ".json") return -1;
    try {
        return std::stoll(base.substr(0, 20));
    } catch (const std::exception&) {
        return -1;
    }
}

void check_one(catalog::Catalog& catalog, const std::string& where, const std::string& json,
               VerifyReport& r, PublishedSummary& out) {
    Checkpoint cp;
    try {
        auto j = nlohmann::json::parse(json, nullptr, false);
        cp = checkpoint_from_json(j);
    } catch (const Error& e) {
        r.problem = Problem::bad_signature;
        r.bad_seq = 0;
        r.message = "published checkpoint " + where + " is not a valid checkpoint: " + e.what();
        return;
    }
    ++out.checked;
    out.newest_count = std::max(out.newest_count, cp.count);
    VerifyReport one = r;
    check_checkpoint(catalog, cp, one);
    if (one.ok()) return;
    if (one.problem == Problem::bad_signature && checkpoint_signature_ok(cp))
        one.problem = Problem::keys_replaced;
    r.problem = one.problem;
    r.bad_seq = one.bad_seq;
    r.message = "published checkpoint " + where + ": " + one.message;
}

} // namespace

std::string published_name(int64_t count, std::string_view json) {
    char seq[32];
    std::snprintf(seq, sizeof seq, "%020lld", static_cast<long long>(count));
    return std::string(k_published_prefix) + seq + "-" + crypto::sha256_hex(json).substr(0, 16) +
           ".json";
}

PublishOutcome publish_checkpoint(catalog::Catalog& catalog,
                                  const std::vector<AnchorLocation>& locations) {
    const Checkpoint cp = make_checkpoint(catalog);
    const std::string json = to_json(cp).dump(2) + "\n";
    PublishOutcome out;
    out.count = cp.count;
    out.name = published_name(cp.count, json);
    for (const AnchorLocation& loc : locations)
        put_once(loc, out.name, json, out);
    if (!out.published.empty()) mark_published(catalog, cp.time_ms);
    return out;
}

bool publish_due(catalog::Catalog& catalog, int64_t now) {
    const auto last = catalog::instance_info(catalog, std::string(k_published_setting));
    if (!last) return true;
    try {
        return now - std::stoll(*last) >= k_publish_interval_ms;
    } catch (const std::exception&) {
        return true;
    }
}

PublishedSummary check_published(catalog::Catalog& catalog,
                                 const std::vector<AnchorLocation>& locations, VerifyReport& r) {
    PublishedSummary out;
    for (const AnchorLocation& loc : locations) {
        auto listed = loc.backend->list(std::string(k_published_prefix));
        if (!listed && listed.error().kind == storage::FailureKind::not_found)
            continue; // nothing stored yet
        if (!listed)
            throw Error(
                ErrorKind::storage,
                "cannot list published checkpoints at " + loc.url + ": " + listed.error().message,
                "check the storage is reachable (or pass --no-storage to check the catalog alone)");
        out.locations.push_back(loc.url);
        for (const storage::ObjectInfo& o : *listed) {
            if (!r.ok()) return out;
            const std::string where = loc.url + "/" + o.name;
            if (count_of(o.name) < 0) continue; // not a checkpoint name (e.g. a temp file)
            check_one(catalog, where, fetch(*loc.backend, loc.url, o.name), r, out);
        }
    }
    return out;
}

} // namespace cairn::audit
