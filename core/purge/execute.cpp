#include "core/purge/execute.hpp"

#include "core/audit/audit.hpp"
#include "core/catalog/copies.hpp"
#include "core/catalog/pending_uploads.hpp"
#include "core/keys/keyring.hpp"
#include "core/purge/certificate.hpp"
#include "core/purge/copies.hpp"
#include "core/purge/names.hpp"
#include "core/purge/residue.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <thread>

namespace cairn::purge {

namespace stdfs = std::filesystem;

namespace {

// Catalog transactions commit this many targets, so a kill loses at most one
// batch of recorded progress.
constexpr size_t k_batch = 1000;
// Objects are removed this many at a time: a chunk's names are sorted and
// spread over the workers, so each storage directory is listed about once
// per chunk rather than once per batch. A kill before the chunk's progress is
// committed costs one more listing of its (by then empty) directories.
constexpr size_t k_remove_chunk = 10 * k_batch;

void crash_point(const char* step) {
    static const char* const k_crash_after = std::getenv("CAIRN_TEST_CRASH_AFTER");
    if (k_crash_after && std::strcmp(k_crash_after, step) == 0) ::raise(SIGKILL);
}

// One (request, artifact) pair being worked on.
struct Work {
    int64_t request_id = 0;
    std::string request_uid;
    PlannedTarget target;
    bool failed = false;
    std::string error; // "step: message" of the failure
};

template <class F> void in_chunks(std::vector<Work*>& items, size_t size, F&& body) {
    for (size_t i = 0; i < items.size(); i += size) {
        const size_t end = std::min(items.size(), i + size);
        std::vector<Work*> chunk(items.begin() + static_cast<std::ptrdiff_t>(i),
                                 items.begin() + static_cast<std::ptrdiff_t>(end));
        body(chunk);
    }
}

template <class F> void in_batches(std::vector<Work*>& items, F&& body) {
    in_chunks(items, k_batch, std::forward<F>(body));
}

class Executor {
public:
    Executor(Context& ctx, const std::function<int64_t()>& clock) : m_ctx(ctx), m_clock(clock) {}

    RunReport run(const Plan& plan) {
        for (const auto& d : plan.due)
            for (const auto& t : d.targets) m_work.push_back({d.request.id, d.request.uid, t, false, {}});
        remove_objects();
        shred();
        scrub();
        verify();
        for (const auto& d : plan.due) finish(d.request);
        find_overdue();
        audit::record(m_ctx.catalog, m_ctx.actor,
                      {"purge.run", {}, m_report.ok() ? "ok" : "error",
                       m_report.ok() ? std::nullopt : std::optional<int>(exit_code(ErrorKind::incomplete)),
                       {{"requests_done", m_report.requests_done}, {"artifacts_deleted", m_report.artifacts_verified},
                        {"failures", m_report.failures.size()}, {"overdue", m_report.overdue},
                        {"late", m_report.late}}});
        return std::move(m_report);
    }

private:
    std::vector<Work*> in_state(const std::string& state) {
        std::vector<Work*> out;
        for (auto& w : m_work)
            if (!w.failed && w.target.state == state) out.push_back(&w);
        return out;
    }

    void fail(Work& w, const std::string& step, const std::string& message) {
        w.failed = true;
        w.error = step + ": " + message;
        m_report.failures.push_back({w.request_uid, w.target.uid, step, message});
    }

    // Commits the new state of every non-failed item in `batch` and the error
    // of every failed one, in one transaction (plus `extra` inside it).
    void commit(std::vector<Work*>& batch, const std::string& from, const std::string& to,
                const std::function<void()>& extra = {}) {
        const int64_t now = m_clock();
        m_ctx.catalog.write_transaction([&] {
            sql::Statement ok(m_ctx.catalog.sql(),
                "UPDATE deletion_target SET state = ?, updated_at = ?, last_error = NULL"
                " WHERE request_id = ? AND artifact_id = ? AND state = ?");
            sql::Statement bad(m_ctx.catalog.sql(),
                "UPDATE deletion_target SET last_error = ?, updated_at = ? WHERE request_id = ? AND artifact_id = ?");
            for (Work* w : batch) {
                if (w->failed) {
                    bad.bind(1, w->error);
                    bad.bind(2, now);
                    bad.bind(3, w->request_id);
                    bad.bind(4, w->target.artifact_id);
                    bad.exec();
                    bad.reset();
                    continue;
                }
                ok.bind(1, to);
                ok.bind(2, now);
                ok.bind(3, w->request_id);
                ok.bind(4, w->target.artifact_id);
                ok.bind(5, from);
                ok.exec();
                ok.reset();
            }
            if (extra) extra();
        });
        for (Work* w : batch)
            if (!w->failed) w->target.state = to;
    }

    std::map<std::string, std::vector<Work*>> by_storage(std::vector<Work*> items) {
        std::map<std::string, std::vector<Work*>> out;
        for (Work* w : items) out[w->target.storage_url].push_back(w);
        return out;
    }

    storage::Backend* open(const std::string& url, std::vector<Work*>& works, const std::string& step) {
        if (url.empty()) return nullptr;
        try {
            return &m_ctx.storage(url);
        } catch (const std::exception& e) {
            for (Work* w : works) fail(*w, step, std::string("cannot open storage ") + url + ": " + e.what());
            return nullptr;
        }
    }

    // The main backend of `url` plus up to parallelism-1 independent ones
    // (opened once per run), so requests to a slow store overlap.
    std::vector<storage::Backend*> workers_for(const std::string& url) {
        std::vector<storage::Backend*> out{&m_ctx.storage(url)};
        auto& extra = m_workers[url];
        if (extra.empty() && m_ctx.open_worker) {
            try {
                for (int i = 1; i < m_ctx.parallelism; ++i) extra.push_back(m_ctx.open_worker(url));
            } catch (const std::exception&) {
                // Fewer connections only make the run slower.
            }
        }
        for (auto& b : extra) out.push_back(b.get());
        return out;
    }

    // Splits [0, n) into one contiguous slice per backend and runs
    // fn(worker, begin, end) for each, on its own thread. Callers sort object
    // names first, so each slice covers few directories and backends can
    // list a directory once for all of a slice's objects in it.
    static void in_parallel(const std::vector<storage::Backend*>& workers, size_t n,
                            const std::function<void(size_t, size_t, size_t)>& fn) {
        const size_t k = std::max<size_t>(1, std::min(workers.size(), n));
        const size_t per = (n + k - 1) / k;
        std::vector<std::thread> threads;
        for (size_t w = 1; w < k; ++w)
            threads.emplace_back([&, w] { fn(w, std::min(n, w * per), std::min(n, (w + 1) * per)); });
        fn(0, 0, std::min(n, per));
        for (auto& t : threads) t.join();
    }

    void remove_local_copies(Work& w) {
        if (!m_ctx.cache) return;
        if (!w.target.object_name.empty()) m_ctx.cache->remove(w.target.object_name);
        std::error_code ec;
        stdfs::remove_all(m_ctx.cache->work_dir() / w.target.uid, ec);
        if (ec) fail(w, "working copy", ec.message());
    }

    // The names of what purge destroys in storage for `works`, sorted: each
    // data object and, where the key is not in the catalog, its key object.
    static std::vector<std::string> stored_names(const std::vector<Work*>& works) {
        std::set<std::string> unique;
        for (const Work* w : works) {
            if (!w->target.object_name.empty()) unique.insert(w->target.object_name);
            if (!w->target.key_object.empty()) unique.insert(w->target.key_object);
            unique.insert(w->target.leftover_key_objects.begin(), w->target.leftover_key_objects.end());
        }
        return {unique.begin(), unique.end()};
    }

    // The first of `problems` (stored name -> why) that concerns `w`.
    static const std::string* problem_of(const Work& w, const std::map<std::string, std::string>& problems) {
        for (const std::string* name : {&w.target.object_name, &w.target.key_object})
            if (auto it = problems.find(*name); !name->empty() && it != problems.end()) return &it->second;
        for (const auto& name : w.target.leftover_key_objects)
            if (auto it = problems.find(name); it != problems.end()) return &it->second;
        return nullptr;
    }

    // Removes the objects of `works` over several connections; returns the
    // names that could not be removed, with why.
    std::map<std::string, std::string> remove_in_parallel(const std::string& url,
                                                          const std::vector<Work*>& works) {
        const std::vector<std::string> names = stored_names(works);
        std::map<std::string, std::string> failed;
        if (names.empty()) return failed;
        auto workers = workers_for(url);
        std::vector<std::vector<std::pair<std::string, storage::Failure>>> out(workers.size());
        in_parallel(workers, names.size(), [&](size_t worker, size_t begin, size_t end) {
            std::vector<std::string> slice(names.begin() + static_cast<std::ptrdiff_t>(begin),
                                           names.begin() + static_cast<std::ptrdiff_t>(end));
            out[worker] = workers[worker]->remove_many(slice);
        });
        for (auto& part : out)
            for (auto& [name, failure] : part)
                failed.emplace(name, failure.message);
        return failed;
    }

    void remove_objects() {
        auto pending = in_state("pending");
        for (auto& [url, works] : by_storage(pending)) {
            storage::Backend* backend = open(url, works, "remove");
            if (!backend && !url.empty()) continue;
            in_chunks(works, k_remove_chunk, [&](std::vector<Work*>& chunk) {
                std::map<std::string, std::string> failed;
                if (backend) failed = remove_in_parallel(url, chunk);
                in_batches(chunk, [&](std::vector<Work*>& batch) {
                    for (Work* w : batch) {
                        if (const std::string* why = problem_of(*w, failed))
                            fail(*w, "remove", *why);
                        else
                            remove_local_copies(*w);
                    }
                    commit(batch, "pending", "objects_removed", [&] { doom(batch); });
                    crash_point("objects_removed");
                    sweep_own_copies();
                });
            });
        }
    }

    // From here on the artifact's copies must go wherever they are.
    void doom(const std::vector<Work*>& batch) {
        for (Work* w : batch)
            if (!w->failed) catalog::doom_copies(m_ctx.catalog, w->target.artifact_id, m_clock());
    }

    // This account's doomed copies on this host; other accounts' and hosts'
    // are destroyed by the next cairn command they run (core/purge/copies.hpp).
    void sweep_own_copies() {
        try {
            destroy_own_copies(m_ctx.catalog, m_ctx.actor, m_clock());
        } catch (const std::exception&) {
            // Verification reports the copies still outstanding.
        }
    }

    // The keys of the artifacts about to be shredded, read before any is
    // erased: the names the run may take out of audit text and runs.
    audit::NameSet names_of(const std::vector<Work*>& items) {
        audit::NameSet names;
        sql::Statement key_of(m_ctx.catalog.sql(), "SELECT key FROM artifact WHERE id = ? AND key IS NOT NULL");
        for (const Work* w : items) {
            key_of.bind(1, w->target.artifact_id);
            if (key_of.executeStep()) names.insert(key_of.getColumn(0).getString());
            key_of.reset();
        }
        return names;
    }

    void shred() {
        auto removed = in_state("objects_removed");
        if (removed.empty()) return;
        // Events and runs are read once for the whole run, not once per batch.
        NameEraser names(names_of(removed));
        names.prepare(m_ctx.catalog);
        in_batches(removed, [&](std::vector<Work*>& batch) {
            const int64_t now = m_clock();
            commit(batch, "objects_removed", "shredded", [&] {
                auto& db = m_ctx.catalog.sql();
                sql::Statement key_of(db, "SELECT key, wrapped_key, version FROM artifact WHERE id = ?");
                sql::Statement keep_needle(db,
                    "UPDATE deletion_target SET key_needle = ? WHERE artifact_id = ? AND key_needle IS NULL");
                sql::Statement keep_key_object(db,
                    "UPDATE deletion_target SET key_object = ? WHERE artifact_id = ? AND key_object IS NULL");
                sql::Statement erase(db,
                    "UPDATE artifact SET wrapped_key = NULL, key = NULL, object_name = NULL, description = NULL,"
                    " suffix = NULL, hash = NULL, is_latest = 0, state = 'deleted', deleted_at = COALESCE(deleted_at, ?)"
                    " WHERE id = ?");
                std::set<std::string> keys;
                std::vector<std::string> uids;
                std::vector<ShreddedName> shredded;
                for (Work* w : batch) {
                    key_of.bind(1, w->target.artifact_id);
                    if (key_of.executeStep()) {
                        if (!key_of.getColumn(0).isNull()) {
                            keys.insert(key_of.getColumn(0).getString());
                            shredded.push_back(
                                {key_of.getColumn(0).getString(), key_of.getColumn(2).getInt(), w->target.uid});
                        }
                        if (!key_of.getColumn(1).isNull()) {
                            const auto wrapped = key_of.getColumn(1).getString();
                            if (const auto needle = keys::wrapped_key_needle(wrapped); !needle.empty()) {
                                const auto stored = inverted(needle);
                                keep_needle.bind(1, stored.data(), static_cast<int>(stored.size()));
                                keep_needle.bind(2, w->target.artifact_id);
                                keep_needle.exec();
                                keep_needle.reset();
                            }
                        }
                    }
                    key_of.reset();
                    if (!w->target.key_object.empty()) {
                        keep_key_object.bind(1, w->target.key_object);
                        keep_key_object.bind(2, w->target.artifact_id);
                        keep_key_object.exec();
                        keep_key_object.reset();
                    }
                    erase.bind(1, now);
                    erase.bind(2, w->target.artifact_id);
                    erase.exec();
                    erase.reset();
                    uids.push_back(w->target.uid);
                }
                for (const auto& key : keys) refresh_latest(m_ctx.catalog, key);
                // The trail names artifacts by uid, but command lines and
                // details may still spell out the key or a path: drop that
                // text from every event naming a shredded uid. The chain
                // covers the text's digests, so it still verifies.
                const int64_t redacted = audit::redact_events_naming(m_ctx.catalog, uids, now);
                // Events that spell a key without naming its uid (ls PREFIX,
                // run events, commands that failed before resolving it) and
                // runs whose command line or parameters spell it.
                const NameEraser::Erased by_name = names.erase(m_ctx.catalog, shredded, now);
                audit::append(m_ctx.catalog, m_ctx.actor,
                              {"purge.shred", uids, "ok", std::nullopt,
                               {{"count", uids.size()},
                                {"erased", "wrapped data key, key, object name, description, suffix, hash"},
                                {"audit_events_redacted", redacted + by_name.events},
                                {"audit_events_redacted_by_name", by_name.events},
                                {"runs_scrubbed", by_name.runs},
                                // The redacted_at value it gave those events: audit verify
                                // matches every redaction to a purge.shred (core/audit/redactions.hpp).
                                {"redacted_at", now}}});
            });
            crash_point("shredded");
        });
    }

    // Freed pages are zeroed (secure_delete) and the WAL truncated, so the
    // shredded key bytes leave the catalog file. A failure (a long reader
    // can keep the scrub from completing) fails those artifacts, to be
    // retried next run, and verify skips them. An artifact whose
    // wrapped key lived in a key object never had it in the catalog: it
    // needs no scrub (and a PostgreSQL catalog could not give one).
    void scrub() {
        std::vector<Work*> shredded;
        for (Work* w : in_state("shredded"))
            if (w->target.key_object.empty()) shredded.push_back(w);
        if (shredded.empty()) return;
        try {
            const auto result = m_ctx.catalog.scrub();
            if (!result.complete) {
                const std::string remedy = m_ctx.catalog.is_sqlite()
                    ? "; retried next run"
                    : "; this wrapped key was stored in the catalog row by a cairn without key objects: run "
                      "'cairn key rotate' (it moves every key into a key object) and destroy every copy of the old "
                      "key file, then run the purge again";
                for (Work* w : shredded) fail(*w, "scrub", result.why + remedy);
                return;
            }
        } catch (const std::exception& e) {
            for (Work* w : shredded) fail(*w, "scrub", e.what());
            return;
        }
        crash_point("scrubbed");
    }

    // Reads catalog.db and its WAL for the public fingerprint of each
    // shredded wrapped key: a hit means a copy of the key survived the scrub.
    void verify_catalog_bytes(std::vector<Work*>& works) {
        sql::Statement q(m_ctx.catalog.sql(),
            "SELECT key_needle FROM deletion_target WHERE request_id = ? AND artifact_id = ?");
        std::vector<std::string> needles;
        std::vector<Work*> owners;
        for (Work* w : works) {
            q.bind(1, w->request_id);
            q.bind(2, w->target.artifact_id);
            if (q.executeStep() && !q.getColumn(0).isNull()) {
                needles.push_back(inverted(q.getColumn(0).getString()));
                owners.push_back(w);
            }
            q.reset();
        }
        const auto& db = m_ctx.catalog.path();
        try {
            for (const auto& r : find_residue({db, db.string() + "-wal", db.string() + "-journal"}, needles))
                if (!owners[r.needle]->failed)
                    fail(*owners[r.needle], "verify",
                         r.file.string() + " still holds bytes of the shredded wrapped key at offset " +
                             std::to_string(r.offset) + "; retried next run");
        } catch (const std::exception& e) {
            for (Work* w : owners) fail(*w, "verify", e.what());
        }
    }

    // Every working copy and cache entry load recorded, on any host and
    // account, must be confirmed destroyed.
    void verify_copies(Work& w) {
        catalog::doom_copies(m_ctx.catalog, w.target.artifact_id, m_clock()); // copies recorded since
        for (const auto& c : catalog::copies_of(m_ctx.catalog, w.target.artifact_id)) {
            if (!c.in_custody() || c.destroyed_at) continue;
            fail(w, "verify", (c.kind == "working_copy" ? "working copy " : "cache entry ") + c.path + " of account " +
                                  c.os_user + " on host " + c.host +
                                  " is not yet destroyed; the next cairn command run by " + c.os_user + " on " +
                                  c.host + " destroys it");
            return;
        }
    }

    // Lists every version and delete marker of the objects of `works` (by
    // directory, over several connections: Backend::versions_of) and fails
    // each object that still has one. A listing shows what a stat would and
    // also old versions and delete markers, at one request per directory
    // instead of one per object.
    void verify_storage(const std::string& url, std::vector<Work*>& works) {
        const std::vector<std::string> names = stored_names(works);
        auto workers = workers_for(url);
        // Threads only fill their own slot; failures are recorded afterwards on this thread.
        using Listing = storage::Result<std::vector<storage::ObjectVersion>>;
        std::vector<Listing> listed(workers.size(), Listing(std::vector<storage::ObjectVersion>{}));
        std::vector<std::pair<size_t, size_t>> slices(workers.size());
        in_parallel(workers, names.size(), [&](size_t worker, size_t begin, size_t end) {
            slices[worker] = {begin, end};
            listed[worker] = workers[worker]->versions_of(
                std::vector<std::string>(names.begin() + static_cast<std::ptrdiff_t>(begin),
                                         names.begin() + static_cast<std::ptrdiff_t>(end)));
        });
        std::map<std::string, std::string> problem; // object name -> why it is not verified
        for (size_t worker = 0; worker < workers.size(); ++worker) {
            const auto& result = listed[worker];
            if (!result) {
                for (size_t i = slices[worker].first; i < slices[worker].second; ++i)
                    problem[names[i]] = "cannot list versions: " + result.error().message;
                continue;
            }
            for (const auto& v : *result)
                problem[v.name] = "a version or delete marker of " + v.name + " is still stored";
        }
        for (Work* w : works)
            if (const std::string* why = problem_of(*w, problem)) fail(*w, "verify", *why);
    }

    void verify() {
        auto shredded = in_state("shredded");
        verify_catalog_bytes(shredded);
        sweep_own_copies();
        for (auto& [url, works] : by_storage(shredded)) {
            if (open(url, works, "verify")) verify_storage(url, works);
            for (Work* w : works) {
                if (w->failed || !m_ctx.cache) continue;
                // Removing again is harmless and covers copies made by hand
                // (or restored from a backup) since the objects step.
                remove_local_copies(*w);
                if (w->failed) continue;
                std::error_code ec;
                if ((!w->target.object_name.empty() && stdfs::exists(m_ctx.cache->root() / w->target.object_name, ec)) ||
                    stdfs::exists(m_ctx.cache->work_dir() / w->target.uid, ec))
                    fail(*w, "verify", "a cache entry or working copy is still present");
            }
            for (Work* w : works)
                if (!w->failed) verify_copies(*w);
        }
        in_batches(shredded, [&](std::vector<Work*>& batch) {
            commit(batch, "shredded", "verified", [&] {
                for (Work* w : batch)
                    if (!w->failed)
                        for (const auto& name : w->target.leftover_key_objects)
                            catalog::forget_pending_upload_in_transaction(m_ctx.catalog, name);
            });
            for (Work* w : batch)
                if (!w->failed) ++m_report.artifacts_verified;
            crash_point("verified");
        });
    }

    void finish(const Request& req) {
        auto& db = m_ctx.catalog.sql();
        sql::Statement open_count(db, "SELECT COUNT(*) FROM deletion_target WHERE request_id = ?"
                                         " AND state NOT IN ('verified', 'cancelled')");
        open_count.bind(1, req.id);
        open_count.executeStep();
        const int64_t left = open_count.getColumn(0).getInt64();
        // The request's error quotes a target's own, so 'purge status' shows
        // what failed (it named a table column before).
        std::string first_error;
        if (left > 0) {
            sql::Statement err(db, "SELECT last_error FROM deletion_target WHERE request_id = ?"
                                      " AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 1");
            err.bind(1, req.id);
            if (err.executeStep()) first_error = err.getColumn(0).getString();
        }
        const int64_t now = m_clock();
        m_ctx.catalog.write_transaction([&] {
            if (left > 0) {
                sql::Statement st(db, "UPDATE deletion_request SET attempts = attempts + 1, last_error = ? WHERE id = ?");
                st.bind(1, std::to_string(left) + " artifact(s) not yet deleted" +
                               (first_error.empty() ? std::string() : "; the latest error: " + first_error));
                st.bind(2, req.id);
                st.exec();
                return;
            }
            nlohmann::json cert = make_certificate(m_ctx.catalog, m_ctx.actor, req, now);
            {
                std::vector<std::string> cert_uids;
                for (const auto& a : cert["artifacts"]) cert_uids.push_back(a["uid"].get<std::string>());
                // Events naming these artifacts whose command line and details were redacted
                // (by this run's shred step or an earlier one).
                cert["audit_events_redacted"] = audit::count_redacted_naming(m_ctx.catalog, cert_uids);
            }
            sql::Statement st(db, "UPDATE deletion_request SET state = 'done', completed_at = ?, attempts = attempts + 1,"
                                     " last_error = NULL, certificate = ? WHERE id = ? AND state = 'pending'");
            st.bind(1, now);
            st.bind(2, cert.dump());
            st.bind(3, req.id);
            st.exec();
            std::vector<std::string> uids;
            for (const auto& a : cert["artifacts"]) uids.push_back(a["uid"].get<std::string>());
            audit::append(m_ctx.catalog, m_ctx.actor, {"purge.certificate", uids, "ok", std::nullopt, cert});
        });
        if (left > 0) return;
        ++m_report.requests_done;
        m_report.completed.push_back(req.uid);
        if (now > req.times.deadline_at) m_report.late.push_back(req.uid);
    }

    void find_overdue() {
        const int64_t now = m_clock();
        for (const auto& r : pending_requests(m_ctx.catalog))
            if (r.times.deadline_at < now) m_report.overdue.push_back(r.uid);
    }

    Context& m_ctx;
    const std::function<int64_t()>& m_clock;
    std::vector<Work> m_work;
    std::map<std::string, std::vector<std::unique_ptr<storage::Backend>>> m_workers;
    RunReport m_report;
};

} // namespace

std::string RunReport::summary() const {
    std::string s = "purge: " + std::to_string(requests_done) + " request(s) done, " +
                    std::to_string(artifacts_verified) + " artifact(s) deleted";
    if (!failures.empty()) s += ", " + std::to_string(failures.size()) + " failure(s) (retried next run)";
    if (!overdue.empty()) s += ", " + std::to_string(overdue.size()) + " request(s) past their deadline";
    if (!late.empty()) s += ", " + std::to_string(late.size()) + " request(s) completed after their deadline";
    return s;
}

RunReport execute(Context& ctx, const Plan& plan, const std::function<int64_t()>& clock) {
    return Executor(ctx, clock).run(plan);
}

std::string certificate_of(catalog::Catalog& catalog, const std::string& request_uid) {
    auto req = find_request(catalog, request_uid);
    return req ? req->certificate : std::string();
}

} // namespace cairn::purge
