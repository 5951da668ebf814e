#include "core/audit/host_head.hpp"

#include "core/audit/anchor.hpp"
#include "core/audit/checkpoint.hpp"
#include "core/audit/keys.hpp"
#include "core/crypto/secret.hpp"
#include "core/crypto/sha256.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/hex.hpp"
#include "core/util/json_int.hpp"
#include "core/util/time.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::audit {

namespace {

namespace stdfs = std::filesystem;

constexpr stdfs::perms k_private_file = stdfs::perms::owner_read | stdfs::perms::owner_write;

struct Newest {
    int64_t seq = 0;
    ChainValue chain{};
};

// The newest event, else the newest prune anchor, else seq 0.
Newest newest_head(catalog::Catalog& catalog) {
    sql::Statement q(catalog.sql(),
                        "SELECT seq, chain FROM audit_event ORDER BY seq DESC LIMIT 1");
    if (q.executeStep()) return {q.getColumn(0).getInt64(), chain_from_column(q.getColumn(1))};
    if (auto anchor = latest_anchor(catalog)) return {anchor->seq, anchor->chain};
    return {};
}

std::optional<ChainValue> chain_at(catalog::Catalog& catalog, int64_t seq) {
    sql::Statement q(catalog.sql(), "SELECT chain FROM audit_event WHERE seq = ?");
    q.bind(1, seq);
    if (!q.executeStep()) return std::nullopt;
    return chain_from_column(q.getColumn(0));
}

std::optional<HostHead> read_head(const stdfs::path& file) {
    std::string text;
    try {
        text = fs::read_file(file);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::not_found) return std::nullopt;
        throw;
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    return host_head_from_json(j, file);
}

stdfs::path canonical_dir(const stdfs::path& instance_dir) {
    std::error_code ec;
    stdfs::path p = stdfs::weakly_canonical(stdfs::absolute(instance_dir), ec);
    return ec ? stdfs::absolute(instance_dir).lexically_normal() : p;
}

// The nearest existing folder of `heads` belongs to another account.
bool foreign_state(const stdfs::path& heads) {
    for (stdfs::path p = heads; !p.empty(); p = p.parent_path()) {
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0) return st.st_uid != ::geteuid();
        if (p == p.parent_path()) break;
    }
    return false;
}

void fail(HeadCheck& c, Problem p, std::string message) {
    c.problem = p;
    c.message = std::move(message);
}

// An flock(2) on <head file>.lock, held while the head is read and replaced.
class HeadLock {
  public:
    explicit HeadLock(const stdfs::path& file) {
        const stdfs::path lock = file.string() + ".lock";
        m_fd = fs::Fd(::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!m_fd)
            throw Error(ErrorKind::permission,
                        "cannot open " + lock.string() + ": " + std::strerror(errno));
        while (::flock(m_fd.get(), LOCK_EX) != 0)
            if (errno != EINTR)
                throw Error(ErrorKind::internal,
                            "cannot lock " + lock.string() + ": " + std::strerror(errno));
    }

  private:
    fs::Fd m_fd;
};

} // namespace

nlohmann::json to_json(const HostHead& h) {
    return {{"format", k_host_head_format},   {"instance_id", h.instance_id},
            {"instance_dir", h.instance_dir}, {"seq", h.seq},
            {"chain", to_hex(h.chain)},       {"key_fingerprint", h.key_fingerprint},
            {"time_ms", h.time_ms},           {"time", format_utc_ms(h.time_ms)}};
}

HostHead host_head_from_json(const nlohmann::json& j, const stdfs::path& file) {
    const auto bad = [&](const std::string& what) {
        return Error(ErrorKind::integrity,
                     "host head file " + file.string() + " is malformed: " + what,
                     "investigate who changed it; it records the newest audit event this host saw");
    };
    if (!j.is_object() || j.value("format", "") != k_host_head_format)
        throw bad("not a " + std::string(k_host_head_format));
    HostHead h;
    try {
        h.instance_id = j.at("instance_id").get<std::string>();
        h.instance_dir = j.at("instance_dir").get<std::string>();
        const auto whole = [&](const char* key) {
            if (const auto v = json_int64(j.at(key))) return *v;
            throw bad(std::string(key) + " must be a whole number");
        };
        h.seq = whole("seq");
        h.key_fingerprint = j.at("key_fingerprint").get<std::string>();
        h.time_ms = whole("time_ms");
        const std::string chain = j.at("chain").get<std::string>();
        if (chain.size() != 64) throw bad("chain must be 64 hex digits");
        const auto bytes = from_hex(chain);
        std::copy(bytes.begin(), bytes.end(), h.chain.begin());
    } catch (const nlohmann::json::exception& e) {
        throw bad(e.what());
    }
    return h;
}

std::optional<stdfs::path> heads_dir() {
    if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg)
        return stdfs::path(xdg) / "cairn" / "heads";
    if (const char* home = std::getenv("HOME"); home && *home)
        return stdfs::path(home) / ".local" / "state" / "cairn" / "heads";
    return std::nullopt;
}

std::optional<stdfs::path> head_file_for(const stdfs::path& instance_dir) {
    auto dir = heads_dir();
    if (!dir) return std::nullopt;
    return *dir / (crypto::sha256_hex(canonical_dir(instance_dir).string()) + ".json");
}

std::optional<HostHead> read_host_head(const stdfs::path& instance_dir) {
    const auto file = head_file_for(instance_dir);
    if (!file || foreign_state(file->parent_path())) return std::nullopt;
    return read_head(*file);
}

HeadCheck check_host_head(catalog::Catalog& catalog, const stdfs::path& instance_dir) {
    HeadCheck c;
    c.file = head_file_for(instance_dir);
    if (!c.file) return c;
    c.foreign_state = foreign_state(c.file->parent_path());
    if (c.foreign_state) return c;
    c.recorded = read_head(*c.file);
    if (!c.recorded) return c;
    const HostHead& rec = *c.recorded;
    const std::string id = catalog_instance_id(catalog, catalog::Read::now);
    if (id != rec.instance_id) {
        c.found_seq = newest_head(catalog).seq;
        fail(c, Problem::instance_replaced,
             "the instance at " + rec.instance_dir + " is " + id +
                 ", but this host recorded instance " + rec.instance_id +
                 ": it was wiped and re-created, or another instance was put in its place");
        return c;
    }
    std::string fp;
    try {
        fp = fingerprint(load_public_key(instance_dir));
    } catch (const Error& e) {
        c.found_seq = newest_head(catalog).seq;
        fail(c, Problem::keys_replaced, std::string("the audit signing key is gone: ") + e.what());
        return c;
    }
    if (fp != rec.key_fingerprint) {
        c.found_seq = newest_head(catalog).seq;
        fail(c, Problem::keys_replaced,
             "the audit signing key is " + fp + ", but this host recorded " + rec.key_fingerprint +
                 ": the audit keys were replaced");
        return c;
    }
    if (auto chain = chain_at(catalog, rec.seq)) {
        c.found_seq = rec.seq;
        if (!crypto::constant_time_equal(*chain, rec.chain))
            fail(c, Problem::head_mismatch,
                 "the chain value at seq " + std::to_string(rec.seq) +
                     " differs from the one this host recorded: "
                     "the trail was rewritten");
        return c;
    }
    const Newest newest = newest_head(catalog);
    c.found_seq = newest.seq;
    if (auto anchor = latest_anchor(catalog); anchor && rec.seq <= anchor->seq) {
        if (rec.seq == anchor->seq && !crypto::constant_time_equal(anchor->chain, rec.chain))
            fail(c, Problem::head_mismatch,
                 "the prune anchor at seq " + std::to_string(rec.seq) +
                     " differs from the head this host recorded");
        return c;
    }
    if (newest.seq < rec.seq)
        fail(c, Problem::truncated,
             "the trail ends at seq " + std::to_string(newest.seq) +
                 " but this host saw it reach seq " + std::to_string(rec.seq) +
                 ": its tail was deleted, or the instance was rolled back to an older copy");
    else
        fail(c, Problem::deleted,
             "event " + std::to_string(rec.seq) + ", which this host saw, is missing (deleted)");
    return c;
}

void require_host_head(const HeadCheck& c) {
    if (c.ok()) return;
    throw Error(ErrorKind::integrity,
                "audit trail does not match this host's recorded head (" +
                    std::string(problem_name(c.problem)) + "): " + c.message + " (recorded seq " +
                    std::to_string(c.recorded ? c.recorded->seq : 0) + ", found seq " +
                    std::to_string(c.found_seq) + "; head file " + c.file->string() + ")",
                "investigate before anything else runs here; restore .cairn from a backup that "
                "includes seq " +
                    std::to_string(c.recorded ? c.recorded->seq : 0) +
                    "; to start over deliberately, remove the old instance and run 'cairn init "
                    "--replace-instance'");
}

int64_t newest_seq(catalog::Catalog& catalog) {
    return newest_head(catalog).seq;
}

void record_host_head(catalog::Catalog& catalog, const stdfs::path& instance_dir,
                      int64_t after_seq) {
    const auto file = head_file_for(instance_dir);
    if (!file || foreign_state(file->parent_path())) return;
    const Newest newest = newest_head(catalog);
    if (newest.seq == 0 || newest.seq <= after_seq) return;
    fs::ensure_dir(file->parent_path().parent_path(), stdfs::perms::owner_all);
    fs::ensure_dir(file->parent_path(), stdfs::perms::owner_all);
    const HeadLock lock(*file);
    if (auto rec = read_head(*file);
        rec && rec->seq >= newest.seq && rec->instance_id == catalog_instance_id(catalog))
        return;
    HostHead h{catalog_instance_id(catalog),
               canonical_dir(instance_dir).string(),
               newest.seq,
               newest.chain,
               fingerprint(load_public_key(instance_dir)),
               now_ms()};
    fs::write_file_atomic(*file, to_json(h).dump(2) + "\n", k_private_file);
}

bool remove_host_head(const stdfs::path& instance_dir) {
    const auto file = head_file_for(instance_dir);
    if (!file) return false;
    std::error_code ec;
    const bool removed = stdfs::remove(*file, ec);
    stdfs::remove(file->string() + ".lock", ec);
    return removed;
}

} // namespace cairn::audit
