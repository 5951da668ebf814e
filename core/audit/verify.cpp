#include "core/audit/verify.hpp"

#include "core/audit/anchor.hpp"
#include "core/audit/audit.hpp"
#include "core/audit/chain.hpp"
#include "core/crypto/secret.hpp"
#include "core/util/error.hpp"

#include <sqlite3.h>

#include <vector>

namespace cairn::audit {

namespace {

// How far past a broken position verify looks for the event that belongs
// there (to tell a reorder or insertion from an edit).
constexpr int64_t k_diagnose_window = 10'000;

bool same(const ChainValue& a, const ChainValue& b) { return crypto::constant_time_equal(a, b); }

// One read snapshot for the whole verification (WAL readers see a
// consistent state while writers keep appending).
class ReadSnapshot {
public:
    explicit ReadSnapshot(SQLite::Database& db) : m_db(db) { m_db.exec("BEGIN"); }
    ~ReadSnapshot() {
        try {
            m_db.exec("COMMIT");
        } catch (...) {
            // Nothing was written; a failed end of a read transaction loses nothing.
        }
    }
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;

private:
    SQLite::Database& m_db;
};

// A raw prepared statement for the hot loop (SQLiteCpp's Column objects
// cost a shared_ptr copy per column, which shows over millions of rows).
class RawStatement {
public:
    RawStatement(SQLite::Database& db, const std::string& sql) {
        if (sqlite3_prepare_v2(db.getHandle(), sql.c_str(), -1, &m_stmt, nullptr) != SQLITE_OK)
            throw Error(ErrorKind::internal, std::string("cannot read the audit trail: ") + sqlite3_errmsg(db.getHandle()));
    }
    ~RawStatement() { sqlite3_finalize(m_stmt); }
    RawStatement(const RawStatement&) = delete;
    RawStatement& operator=(const RawStatement&) = delete;
    // True while there is a row; throws on error (e.g. a corrupt file).
    bool step() {
        const int rc = sqlite3_step(m_stmt);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw Error(ErrorKind::integrity, std::string("cannot read the audit trail: ") + sqlite3_errstr(rc));
    }
    sqlite3_stmt* get() const { return m_stmt; }

private:
    sqlite3_stmt* m_stmt = nullptr;
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

std::vector<Row> rows_from(catalog::Catalog& catalog, int64_t seq) {
    RawStatement q(catalog.db(), "SELECT " + std::string(k_event_columns) +
                                     " FROM audit_event WHERE seq >= ? ORDER BY seq LIMIT ?");
    sqlite3_bind_int64(q.get(), 1, seq);
    sqlite3_bind_int64(q.get(), 2, k_diagnose_window);
    std::vector<Row> rows;
    CanonicalWriter w(k_event_domain);
    while (q.step()) {
        canonical_from_row(q.get(), w);
        // Keep what follows the domain tag and seq, so mac_at can re-seat it.
        rows.push_back({sqlite3_column_int64(q.get(), 0), std::string(w.view().substr(k_canonical_seq_prefix)),
                        chain_from_column(q.get(), k_chain_column)});
    }
    return rows;
}

void fail(VerifyReport& r, Problem p, int64_t seq, std::string message) {
    r.problem = p;
    r.bad_seq = seq;
    r.message = std::move(message);
}

// The event at `s` does not match its chain value under `prev`: work out
// what most likely happened, for the report.
void diagnose(catalog::Catalog& catalog, ChainMac& mac, int64_t s, const ChainValue& prev, VerifyReport& r) {
    const std::string at = "seq " + std::to_string(s);
    const auto rows = rows_from(catalog, s);
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
    const std::string id = catalog_instance_id(catalog);
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
    }
    return "unknown";
}

VerifyReport verify(catalog::Catalog& catalog, const Checkpoint* checkpoint) {
    VerifyReport r;
    const auto dir = audit_dir(catalog);
    ReadSnapshot snapshot(catalog.db());
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
    // Map the file: a sequential scan of millions of rows is then page-cache
    // reads instead of one pread per page.
    catalog.db().exec("PRAGMA mmap_size = 1073741824");
    std::optional<ChainValue> head_at_cp;
    RawStatement q(catalog.db(), "SELECT " + std::string(k_event_columns) + " FROM audit_event ORDER BY seq");
    CanonicalWriter w(k_event_domain);
    while (q.step()) {
        const int64_t seq = sqlite3_column_int64(q.get(), 0);
        if (seq < expected) {
            fail(r, Problem::inserted, seq, "event at seq " + std::to_string(seq) + " lies in the pruned range");
            return r;
        }
        if (seq > expected) {
            fail(r, Problem::deleted, expected,
                 seq == expected + 1 ? "event " + std::to_string(expected) + " is missing (deleted)"
                                     : "events " + std::to_string(expected) + ".." + std::to_string(seq - 1) +
                                           " are missing (deleted)");
            return r;
        }
        canonical_from_row(q.get(), w);
        const ChainValue stored = chain_from_column(q.get(), k_chain_column);
        if (!same(mac.compute(w.bytes(), prev), stored)) {
            diagnose(catalog, mac, seq, prev, r);
            return r;
        }
        if (r.events == 0) r.first_seq = seq;
        r.last_seq = seq;
        ++r.events;
        if (checkpoint && seq == checkpoint->count) head_at_cp = stored;
        prev = stored;
        ++expected;
    }
    if (checkpoint) check_checkpoint(catalog, *checkpoint, head_at_cp, anchor, r);
    return r;
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
    return j;
}

} // namespace cairn::audit
