#include "core/audit/verify.hpp"

#include "core/audit/event_signatures.hpp"

#include "core/audit/target_index.hpp"

#include "core/audit/anchor.hpp"
#include "core/audit/audit.hpp"
#include "core/audit/chain.hpp"
#include "core/crypto/secret.hpp"
#include "core/util/error.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

namespace cairn::audit {

namespace {

// How far past a broken position verify looks for the event that belongs
// there (to tell a reorder or insertion from an edit).
constexpr int64_t k_diagnose_window = 10'000;

bool same(const ChainValue& a, const ChainValue& b) { return crypto::constant_time_equal(a, b); }

// Holds the connection's mutex while this thread reads the log. SQLite
// takes it in every sqlite3_step and sqlite3_column_* call; it is
// recursive, so while held those are a counter bump instead of an atomic
// lock and unlock (some 40 per event). Only this thread uses the connection
// during verify, so no one waits. A no-op unless SQLite is in serialized mode.
class HoldConnection {
public:
    explicit HoldConnection(SQLite::Database& db) : m_mutex(sqlite3_db_mutex(db.getHandle())) {
        sqlite3_mutex_enter(m_mutex);
    }
    ~HoldConnection() { sqlite3_mutex_leave(m_mutex); }
    HoldConnection(const HoldConnection&) = delete;
    HoldConnection& operator=(const HoldConnection&) = delete;

private:
    sqlite3_mutex* m_mutex;
};

struct Row {
    int64_t seq;
    std::string tail; // canonical form of every field after seq
    ChainValue stored;
};

ChainValue mac_at(ChainMac& mac, const Row& r, int64_t seq, const ChainValue& prev) {
    CanonicalWriter w(k_event_domain);
    w.integer(seq);
    w.raw(r.tail);
    return mac.compute(w.bytes(), prev);
}

std::vector<Row> rows_from(catalog::Catalog& catalog, int64_t seq, const DigestMode& mode) {
    sql::Statement q(catalog.sql(), "SELECT " + std::string(k_event_columns) +
                                        " FROM audit_event WHERE seq >= ? ORDER BY seq LIMIT ?");
    q.bind(1, seq);
    q.bind(2, k_diagnose_window);
    std::vector<Row> rows;
    CanonicalWriter w(k_event_domain);
    while (q.executeStep()) {
        canonical_from_row(q, w, mode);
        // Keep what follows the domain tag and seq, so mac_at can re-seat it.
        rows.push_back({q.getColumn(0).getInt64(), std::string(w.view().substr(k_canonical_seq_prefix)),
                        chain_from_column(q.getColumn(k_chain_column))});
    }
    return rows;
}

// A run of consecutive events as read from the log, to be checked (text
// digests, MAC) on any thread. Each MAC is checked against the *stored*
// chain value of the event before, so batches can be checked independently.
struct Batch {
    struct Text {
        std::string_view domain;
        size_t begin, size; // in `bytes`
        TextDigest stored;
        bool keyed;
    };
    struct Event {
        size_t begin, size; // canonical serialisation, in `bytes`
        std::array<Text, 2> texts;
        size_t text_count;
        ChainValue stored, prev;
    };
    int64_t first_index = 0; // position of events[0] among the events read
    std::string bytes;       // copies: the row's memory is gone after the next step
    std::vector<Event> events;

    void add(std::string_view canonical, const std::vector<TextCheck>& texts, const ChainValue& stored,
             const ChainValue& prev) {
        Event e{bytes.size(), canonical.size(), {}, 0, stored, prev};
        bytes.append(canonical);
        for (const TextCheck& t : texts) {
            e.texts.at(e.text_count++) = {t.domain, bytes.size(), t.text.size(), t.stored, t.keyed};
            bytes.append(t.text);
        }
        events.push_back(e);
    }

    // Index in `events` of the first event that fails its checks, or events.size().
    size_t first_bad(ChainMac& mac) const {
        const std::string_view all = bytes;
        for (size_t i = 0; i < events.size(); ++i) {
            const Event& e = events[i];
            for (size_t t = 0; t < e.text_count; ++t) {
                const Text& x = e.texts[t];
                if (!TextCheck{x.domain, all.substr(x.begin, x.size), x.stored, x.keyed}.ok(mac)) return i;
            }
            const std::string_view canonical = all.substr(e.begin, e.size);
            if (!same(mac.compute(std::as_bytes(std::span(canonical.data(), canonical.size())), e.prev), e.stored))
                return i;
        }
        return events.size();
    }
};

// The first event that failed its checks: its position among the events
// read, and the chain value it was checked against.
struct Failure {
    int64_t index;
    ChainValue prev;
};

// Checks batches, on the calling thread or on worker threads, and keeps
// the failure that comes first in the log, whichever thread finds it.
class Checker {
public:
    Checker(ChainMac& mac, unsigned workers) : m_mac(mac), m_workers(workers) {}
    ~Checker() { stop(); }
    Checker(const Checker&) = delete;
    Checker& operator=(const Checker&) = delete;

    // True once some failure (or error) is known: reading further is moot.
    bool failed() const { return m_failed.load(std::memory_order_relaxed); }

    // An empty batch (recycled, so its buffers are already grown); waits
    // while enough are queued, which bounds memory.
    std::unique_ptr<Batch> next_batch(int64_t first_index) {
        std::unique_lock lock(m_mutex);
        m_done.wait(lock, [&] { return m_in_flight < 2 * m_workers + 1; });
        std::unique_ptr<Batch> b;
        if (m_spare.empty()) {
            b = std::make_unique<Batch>();
        } else {
            b = std::move(m_spare.back());
            m_spare.pop_back();
        }
        b->first_index = first_index;
        b->bytes.clear();
        b->events.clear();
        return b;
    }

    // A full batch, with more events to come: the workers start here, so a
    // log that fits in one batch is checked without threads (see finish).
    void submit(std::unique_ptr<Batch> b) {
        if (!m_started) start();
        if (m_threads.empty()) return check_inline(std::move(b));
        {
            std::lock_guard lock(m_mutex);
            m_queue.push_back(std::move(b));
            ++m_in_flight;
        }
        m_ready.notify_one();
    }

    // The last batch: waits for every batch, then returns the first failure.
    std::optional<Failure> finish(std::unique_ptr<Batch> last) {
        if (m_threads.empty()) check_inline(std::move(last));
        else submit(std::move(last));
        stop();
        if (m_error) std::rethrow_exception(m_error);
        return m_failure;
    }

private:
    void start() {
        m_started = true;
        // Copies made here, before any thread runs: m_mac is not thread-safe.
        for (unsigned i = 0; i < m_workers; ++i) m_macs.push_back(std::make_unique<ChainMac>(m_mac));
        try {
            for (unsigned i = 0; i < m_workers; ++i) m_threads.emplace_back([this, i] { work(*m_macs[i]); });
        } catch (const std::system_error&) {
            // No thread to spare (e.g. a process limit): fewer workers, or
            // none and every batch checked on this thread.
        }
    }

    void stop() {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_ready.notify_all();
        for (auto& t : m_threads) t.join();
        m_threads.clear();
    }

    // Checks `b` unless a failure is already known in an earlier batch;
    // records what it finds. Call with m_mutex not held.
    void check(const Batch& b, ChainMac& mac) {
        {
            std::lock_guard lock(m_mutex);
            if (m_failure && m_failure->index < b.first_index) return;
        }
        std::optional<Failure> found;
        std::exception_ptr error;
        try {
            const size_t i = b.first_bad(mac);
            if (i < b.events.size()) found = Failure{b.first_index + static_cast<int64_t>(i), b.events[i].prev};
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard lock(m_mutex);
        if (found && (!m_failure || found->index < m_failure->index)) m_failure = found;
        if (error && !m_error) m_error = error;
        if (found || error) m_failed = true;
    }

    void check_inline(std::unique_ptr<Batch> b) {
        check(*b, m_mac);
        std::lock_guard lock(m_mutex);
        m_spare.push_back(std::move(b));
    }

    void work(ChainMac& mac) {
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_ready.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty()) return; // stopping, and nothing left to check
            std::unique_ptr<Batch> b = std::move(m_queue.front());
            m_queue.pop_front();
            lock.unlock();
            check(*b, mac);
            lock.lock();
            m_spare.push_back(std::move(b));
            --m_in_flight;
            m_done.notify_one();
        }
    }

    ChainMac& m_mac;
    const unsigned m_workers;
    std::vector<std::unique_ptr<ChainMac>> m_macs; // one per worker
    std::vector<std::thread> m_threads;
    bool m_started = false;
    std::mutex m_mutex; // guards everything below
    std::condition_variable m_ready, m_done;
    std::deque<std::unique_ptr<Batch>> m_queue;
    std::vector<std::unique_ptr<Batch>> m_spare;
    unsigned m_in_flight = 0;
    bool m_stopping = false;
    std::optional<Failure> m_failure;
    std::exception_ptr m_error;
    std::atomic<bool> m_failed = false;
};

// One worker per core, but no more than 4: the reading thread does about
// as much work per event as a worker, so beyond a few workers only wait.
unsigned default_workers() {
    const unsigned cores = std::thread::hardware_concurrency();
    return cores > 1 ? std::min(cores, 4U) : 0;
}

void fail(VerifyReport& r, Problem p, int64_t seq, std::string message) {
    r.problem = p;
    r.bad_seq = seq;
    r.message = std::move(message);
}

// The event at `s` does not match its chain value under `prev`: work out
// what most likely happened, for the report.
void diagnose(catalog::Catalog& catalog, ChainMac& mac, const DigestMode& mode, int64_t s, const ChainValue& prev,
              VerifyReport& r) {
    const std::string at = "seq " + std::to_string(s);
    const auto rows = rows_from(catalog, s, mode);
    if (rows.size() > 1 && rows[1].seq == s + 1 && same(mac_at(mac, rows[1], s + 1, rows[0].stored), rows[1].stored))
        return fail(r, Problem::edited, s,
                    "event at " + at + " was altered: its fields no longer match its chain value "
                    "(or an event before it was deleted and the rest renumbered)");
    for (size_t k = 1; k < rows.size(); ++k) {
        if (!same(mac_at(mac, rows[k], s, prev), rows[k].stored)) continue;
        const int64_t t = rows[k].seq;
        const ChainValue& prev_t = (k == 1) ? rows[k].stored : rows[k - 1].stored;
        if (same(mac_at(mac, rows[0], t, prev_t), rows[0].stored))
            return fail(r, Problem::reordered, s,
                        "events at " + at + " and seq " + std::to_string(t) + " were swapped");
        return fail(r, Problem::inserted, s,
                    "an event was inserted at " + at + "; the original event " + std::to_string(s) +
                        " now sits at seq " + std::to_string(t));
    }
    fail(r, Problem::chain_mismatch, s,
         "event at " + at + " does not match the chain (inserted, replaced or edited" +
             (rows.size() == 1 ? " last event)" : ")"));
}

void check_checkpoint(catalog::Catalog& catalog, const Checkpoint& cp, const std::optional<ChainValue>& head_at_cp,
                      const std::optional<Anchor>& anchor, VerifyReport& r) {
    r.checkpoint_checked = true;
    r.checkpoint_count = cp.count;
    const std::string id = catalog_instance_id(catalog, catalog::Read::now);
    if (cp.instance_id != id)
        return fail(r, Problem::wrong_instance, cp.count,
                    "checkpoint belongs to instance " + cp.instance_id + ", this is " + id);
    if (!checkpoint_signature_ok(cp))
        return fail(r, Problem::bad_signature, cp.count, "checkpoint signature is invalid (forged or altered)");
    const PublicKey ours = load_public_key(audit_dir(catalog));
    if (!crypto::constant_time_equal(cp.public_key, ours))
        return fail(r, Problem::bad_signature, cp.count,
                    "checkpoint is signed by key " + fingerprint(cp.public_key) + ", not this instance's key " +
                        fingerprint(ours));
    const int64_t last = r.events > 0 ? r.last_seq : (anchor ? anchor->seq : 0);
    if (cp.count > last)
        return fail(r, Problem::truncated, last + 1,
                    "the log ends at seq " + std::to_string(last) + " but the checkpoint covers " +
                        std::to_string(cp.count) + " events: the tail was deleted");
    if (anchor && cp.count <= anchor->seq) {
        if (cp.count == anchor->seq && !same(anchor->chain, cp.head))
            return fail(r, Problem::head_mismatch, cp.count, "prune anchor differs from the checkpoint's head");
        if (cp.count < anchor->seq) r.note = "checkpoint precedes the pruned range; only its count was checked";
        return;
    }
    if (!head_at_cp || !same(*head_at_cp, cp.head))
        fail(r, Problem::head_mismatch, cp.count,
             "chain at seq " + std::to_string(cp.count) + " differs from the checkpoint's head: the log was rewritten");
}

} // namespace

const char* problem_name(Problem p) {
    switch (p) {
    case Problem::none: return "none";
    case Problem::deleted: return "deleted";
    case Problem::edited: return "edited";
    case Problem::inserted: return "inserted";
    case Problem::reordered: return "reordered";
    case Problem::chain_mismatch: return "chain_mismatch";
    case Problem::bad_anchor: return "bad_anchor";
    case Problem::truncated: return "truncated";
    case Problem::head_mismatch: return "head_mismatch";
    case Problem::bad_signature: return "bad_signature";
    case Problem::wrong_instance: return "wrong_instance";
    case Problem::artifact_mismatch: return "artifact_mismatch";
    case Problem::target_index_mismatch: return "target_index_mismatch";
    case Problem::instance_replaced: return "instance_replaced";
    case Problem::keys_replaced: return "keys_replaced";
    case Problem::unmatched_redaction: return "unmatched_redaction";
    case Problem::unsigned_event: return "unsigned_event";
    case Problem::wrong_signer: return "wrong_signer";
    }
    return "unknown";
}

// verify() inside one read snapshot (WAL readers see a consistent state
// while writers keep appending).
static VerifyReport verify_snapshot(catalog::Catalog& catalog, const Checkpoint* checkpoint,
                                    const VerifyTuning& tuning) {
    VerifyReport r;
    const auto dir = audit_dir(catalog);
    const auto anchor = latest_anchor(catalog);
    int64_t expected = 1;
    ChainValue prev = k_genesis;
    if (anchor) {
        r.anchor_seq = anchor->seq;
        if (!anchor_signature_ok(*anchor, load_public_key(dir))) {
            fail(r, Problem::bad_anchor, anchor->seq + 1,
                 "prune anchor at seq " + std::to_string(anchor->seq) + " has an invalid signature");
            return r;
        }
        expected = anchor->seq + 1;
        prev = anchor->chain;
    }
    ChainMac& mac = chain_mac_for(dir);
    const DigestMode mode{keyed_digests_from(catalog, catalog::Read::now), &mac};
    std::optional<HoldConnection> hold;
    if (catalog.is_sqlite()) {
        // Map the file: a sequential scan of millions of rows is then
        // page-cache reads instead of one pread per page.
        catalog.db().exec("PRAGMA mmap_size = 1073741824");
        hold.emplace(catalog.db());
    }
    std::optional<ChainValue> head_at_cp;
    sql::Statement q(catalog.sql(), "SELECT " + std::string(k_event_columns) + " FROM audit_event ORDER BY seq",
                     sql::Rows::paged);
    // This thread reads and serialises rows (SQLite wants one thread per
    // connection); the checker hashes them. A gap in seq is found here, a bad
    // digest or MAC there; whichever comes first in the log is reported.
    Checker checker(mac, tuning.workers.value_or(default_workers()));
    const int64_t first_seq = expected;
    int64_t read = 0; // events read, all in seq order without a gap
    std::optional<VerifyReport> gap;
    CanonicalWriter w(k_event_domain);
    std::vector<TextCheck> texts;
    TargetList listed; // for the audit_target check, on the same read
    auto batch = checker.next_batch(0);
    while (!checker.failed() && q.executeStep()) {
        const int64_t seq = q.getColumn(0).getInt64();
        if (seq < expected) {
            fail(gap.emplace(), Problem::inserted, seq,
                 "event at seq " + std::to_string(seq) + " lies in the pruned range");
            break;
        }
        if (seq > expected) {
            fail(gap.emplace(), Problem::deleted, expected,
                 seq == expected + 1 ? "event " + std::to_string(expected) + " is missing (deleted)"
                                     : "events " + std::to_string(expected) + ".." + std::to_string(seq - 1) +
                                           " are missing (deleted)");
            break;
        }
        if (batch->events.size() >= std::max<size_t>(tuning.batch_events, 1)) {
            checker.submit(std::move(batch));
            batch = checker.next_batch(read);
        }
        texts.clear();
        canonical_from_row(q, w, mode, &texts);
        listed.add_listed(seq, q.getColumn(k_targets_column).text());
        const ChainValue stored = chain_from_column(q.getColumn(k_chain_column));
        batch->add(w.view(), texts, stored, prev);
        if (checkpoint && seq == checkpoint->count) head_at_cp = stored;
        prev = stored;
        ++expected;
        ++read;
    }
    const std::optional<Failure> bad = checker.finish(std::move(batch));
    r.events = bad ? bad->index : read; // a bad event always precedes a gap: it was read
    if (r.events > 0) {
        r.first_seq = first_seq;
        r.last_seq = first_seq + r.events - 1;
    }
    if (bad) {
        diagnose(catalog, mac, mode, first_seq + bad->index, bad->prev, r);
        return r;
    }
    if (gap) {
        fail(r, gap->problem, *gap->bad_seq, std::move(gap->message));
        return r;
    }
    if (const auto bad_signature = check_event_signatures(catalog, load_public_key(dir))) {
        fail(r, bad_signature->problem, bad_signature->seq, bad_signature->message);
        return r;
    }
    // Reported by the caller once the anchors have had their say
    // (core/artifact/seal.hpp verify_rows): a cut tail leaves index rows
    // behind, and "truncated" says more than "index mismatch".
    r.target_index_problem = compare_target_index(catalog, listed);
    if (checkpoint) check_checkpoint(catalog, *checkpoint, head_at_cp, anchor, r);
    return r;
}

VerifyReport verify(catalog::Catalog& catalog, const Checkpoint* checkpoint, const VerifyTuning& tuning) {
    VerifyReport r;
    catalog.read_transaction([&] { r = verify_snapshot(catalog, checkpoint, tuning); });
    return r;
}

void check_checkpoint(catalog::Catalog& catalog, const Checkpoint& cp, VerifyReport& r) {
    std::optional<ChainValue> head_at_cp;
    sql::Statement q(catalog.sql(), "SELECT chain FROM audit_event WHERE seq = ?");
    q.bind(1, cp.count);
    if (q.executeStep()) head_at_cp = chain_from_column(q.getColumn(0));
    check_checkpoint(catalog, cp, head_at_cp, latest_anchor(catalog), r);
}

nlohmann::json to_json(const VerifyReport& r) {
    nlohmann::json j = {{"ok", r.ok()}, {"events", r.events}, {"first_seq", r.first_seq}, {"last_seq", r.last_seq}};
    j["anchor_seq"] = r.anchor_seq ? nlohmann::json(*r.anchor_seq) : nlohmann::json();
    if (!r.ok()) {
        j["problem"] = problem_name(r.problem);
        j["bad_seq"] = r.bad_seq ? nlohmann::json(*r.bad_seq) : nlohmann::json();
        j["message"] = r.message;
    }
    j["checkpoint_checked"] = r.checkpoint_checked;
    if (r.checkpoint_count) j["checkpoint_count"] = *r.checkpoint_count;
    if (!r.note.empty()) j["note"] = r.note;
    if (r.artifacts_checked) j["artifacts_checked"] = *r.artifacts_checked;
    if (r.artifacts_unsealed) j["artifacts_unsealed"] = r.artifacts_unsealed;
    return j;
}

} // namespace cairn::audit
