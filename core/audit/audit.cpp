#include "core/audit/audit.hpp"

#include "core/audit/anchor.hpp"
#include "core/audit/chain.hpp"
#include "core/audit/event_signatures.hpp"
#include "core/audit/keys.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"


#include <set>

namespace cairn::audit {

namespace {

struct Position {
    int64_t seq = 1;
    ChainValue prev = k_genesis;
};

// Where the next event goes: after the last event, else after the newest
// prune anchor, else at seq 1 on the genesis value. Read inside the write
// lock so no other process can append in between.
Position next_position(catalog::Catalog& catalog, bool& empty) {
    sql::Statement last(catalog.sql(), "SELECT seq, chain FROM audit_event ORDER BY seq DESC LIMIT 1");
    if (last.executeStep()) {
        empty = false;
        return {last.getColumn(0).getInt64() + 1, chain_from_column(last.getColumn(1))};
    }
    if (auto anchor = latest_anchor(catalog)) {
        empty = false;
        return {anchor->seq + 1, anchor->chain};
    }
    empty = true;
    return {};
}

ChainMac& mac_for_append(catalog::Catalog& catalog, bool log_empty, const std::string& action) {
    const auto dir = audit_dir(catalog);
    if (log_empty && catalog::instance_info(catalog, "audit_trail") == "required") {
        // init writes an instance's first event; an instance whose trail is
        // empty later had its events deleted. Starting a fresh log at seq 1
        // would hide that (docs/AUDIT.md says what else an attacker with
        // write access to .cairn/ can still do).
        if (action != "init")
            throw Error(ErrorKind::integrity, "the audit trail of the " + catalog.name() + " is empty: its events were deleted",
                        "restore .cairn/ from a backup; cairn never starts a new trail for an existing instance");
    } else if (log_empty && !audit_keys_exist(dir)) {
        // A bare catalog (tests, tools) gets keys with its first event. Only
        // init makes an instance's keys: a missing one is an error to report.
        create_audit_keys(dir);
    }
    return chain_mac_for(dir);
}

// Details are free text from core and error messages that may echo what
// the user typed: scrub secret-looking values like the command line.
nlohmann::json redacted(const nlohmann::json& j) {
    if (j.is_string()) return redact_text(j.get<std::string>());
    if (j.is_array() || j.is_object()) {
        nlohmann::json out = j;
        for (auto& v : out) v = redacted(v);
        return out;
    }
    return j;
}

void append_locked(catalog::Catalog& catalog, const Actor& actor, const Event& event) {
    if (event.result != "ok" && event.result != "denied" && event.result != "error")
        throw Error(ErrorKind::internal, "audit event result must be ok, denied or error, not '" + event.result + "'");
    bool empty = false;
    const Position pos = next_position(catalog, empty);
    ChainMac& mac = mac_for_append(catalog, empty, event.action);

    const int64_t time = now_ms();
    const std::string targets = nlohmann::json(event.targets).dump();
    const std::string details = redacted(event.details).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    // Keyed from the marker on (every event of an instance created or
    // migrated since keyed digests exist); plain SHA-256 before it, as the
    // events that older versions appended.
    const bool keyed = pos.seq >= keyed_digests_from(catalog);
    const TextDigest command_line_digest = keyed ? mac.text_digest(k_command_line_domain, actor.command_line)
                                                 : text_digest(k_command_line_domain, actor.command_line);
    const TextDigest details_digest =
        keyed ? mac.text_digest(k_details_domain, details) : text_digest(k_details_domain, details);
    // Build the canonical form from exactly the values bound below, in
    // column order (k_event_columns): the redactable text as its digest.
    CanonicalWriter w(k_event_domain);
    w.integer(pos.seq);
    w.integer(time);
    w.text(actor.identity);
    w.text(actor.os_user);
    w.integer(actor.os_uid);
    w.text(actor.host);
    w.integer(actor.pid);
    w.blob(command_line_digest);
    w.text(event.action);
    w.text(targets);
    w.text(event.result);
    if (event.error_code) w.integer(*event.error_code);
    else w.null();
    w.blob(details_digest);
    const std::string credential = actor.credential.empty() ? "none" : actor.credential;
    if (keyed) w.text(credential);
    if (event.seal) w.blob(*event.seal);
    const ChainValue chain = mac.compute(w.bytes(), pos.prev);
    std::optional<EventSignature> signature;
    if (const auto from = signed_from(catalog); from && pos.seq >= *from)
        signature = sign_event(catalog, actor, pos.seq, chain);

    sql::Statement insert(catalog.sql(),
        "INSERT INTO audit_event (seq, time_ms, actor, os_user, os_uid, host, pid, command_line, action,"
        " targets, result, error_code, details, chain, command_line_digest, details_digest, credential, seal,"
        " signer, signature) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    insert.bind(1, pos.seq);
    insert.bind(2, time);
    insert.bind(3, actor.identity);
    insert.bind(4, actor.os_user);
    insert.bind(5, static_cast<int64_t>(actor.os_uid));
    insert.bind(6, actor.host);
    insert.bind(7, static_cast<int64_t>(actor.pid));
    insert.bind(8, actor.command_line);
    insert.bind(9, event.action);
    insert.bind(10, targets);
    insert.bind(11, event.result);
    if (event.error_code) insert.bind(12, static_cast<int64_t>(*event.error_code));
    insert.bind(13, details);
    insert.bind(14, chain.data(), static_cast<int>(chain.size()));
    insert.bind(15, command_line_digest.data(), static_cast<int>(command_line_digest.size()));
    insert.bind(16, details_digest.data(), static_cast<int>(details_digest.size()));
    if (keyed) insert.bind(17, credential);
    if (event.seal) insert.bind(18, event.seal->data(), static_cast<int>(event.seal->size()));
    if (signature) {
        insert.bind(19, signature->signer);
        insert.bind(20, signature->signature.data(), static_cast<int>(signature->signature.size()));
    }
    insert.exec();

    // Index the targets so purge can find (and redact) the events naming a uid.
    if (!event.targets.empty()) {
        sql::Statement target(catalog.sql(), "INSERT INTO audit_target (uid, seq) VALUES (?, ?)");
        for (const auto& uid : std::set<std::string>(event.targets.begin(), event.targets.end())) {
            target.bind(1, uid);
            target.bind(2, pos.seq);
            target.exec();
            target.reset();
        }
    }
}

} // namespace

std::filesystem::path audit_dir(const catalog::Catalog& catalog) { return catalog.dir(); }

void append(catalog::Catalog& catalog, const Actor& actor, const Event& event) {
    // Reading the head and inserting must happen under one write lock.
    if (!catalog.sql().in_transaction()) {
        catalog.write_transaction([&] { append_locked(catalog, actor, event); });
        return;
    }
    append_locked(catalog, actor, event);
}

int64_t redact_events_naming(catalog::Catalog& catalog, const std::vector<std::string>& uids, int64_t now) {
    sql::Statement redact(catalog.sql(),
        "UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = ?"
        " WHERE redacted_at IS NULL AND seq IN (SELECT seq FROM audit_target WHERE uid = ?)");
    int64_t n = 0;
    for (const auto& uid : uids) {
        redact.bind(1, now);
        redact.bind(2, uid);
        n += redact.exec();
        redact.reset();
    }
    return n;
}

int64_t count_redacted_naming(catalog::Catalog& catalog, const std::vector<std::string>& uids) {
    sql::Statement q(catalog.sql(),
        "SELECT t.seq FROM audit_target t JOIN audit_event e ON e.seq = t.seq"
        " WHERE t.uid = ? AND e.redacted_at IS NOT NULL");
    std::set<int64_t> seqs;
    for (const auto& uid : uids) {
        q.bind(1, uid);
        while (q.executeStep()) seqs.insert(q.getColumn(0).getInt64());
        q.reset();
    }
    return static_cast<int64_t>(seqs.size());
}

void record(catalog::Catalog& catalog, const Actor& actor, const Event& event) {
    catalog.write_transaction([&] { append_locked(catalog, actor, event); });
}

} // namespace cairn::audit
