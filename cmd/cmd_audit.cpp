// cairn audit: list, export, verify, checkpoint and prune the audit trail.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/access/authorize.hpp"
#include "core/audit/audit.hpp"
#include "core/artifact/seal.hpp"
#include "core/audit/checkpoint.hpp"
#include "core/audit/host_head.hpp"
#include "core/audit/instance_anchors.hpp"
#include "core/audit/published.hpp"
#include "core/audit/redactions.hpp"
#include "core/audit/inventory.hpp"
#include "core/audit/keys.hpp"
#include "core/audit/prune.hpp"
#include "core/audit/query.hpp"
#include "core/audit/verify.hpp"
#include "core/util/fs.hpp"
#include "core/util/text_width.hpp"
#include "core/util/time.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

namespace cairn::cmd {

namespace {

struct FilterOpts {
    std::string since, until, actor, action, artifact, result;
    int64_t limit = -1;

    audit::Filter filter() const {
        audit::Filter f;
        if (!since.empty()) f.since_ms = parse_time_ms(since);
        if (!until.empty()) f.until_ms = parse_time_ms(until);
        f.actor = actor;
        f.action = action;
        f.artifact = artifact;
        f.result = result;
        if (limit >= 0) f.limit = limit;
        return f;
    }
    nlohmann::json json() const {
        return {{"since", since}, {"until", until}, {"actor", actor}, {"action", action},
                {"artifact", artifact}, {"result", result}, {"limit", limit}};
    }
};

struct AuditOpts {
    FilterOpts list, exp;
    std::string export_output, checkpoint_output, checkpoint_file, before;
    bool dry_run = false, no_storage = false;
};

void add_filters(CLI::App* sub, FilterOpts& f) {
    sub->add_option("--since", f.since, "Events at or after T (YYYY-MM-DD, ISO time, or an age like 7d)")->type_name("T");
    sub->add_option("--until", f.until, "Events before T")->type_name("T");
    sub->add_option("--actor", f.actor, "Events by this identity or OS user");
    sub->add_option("--action", f.action, "Events with this action (\"purge\" also matches purge.run)");
    sub->add_option("--artifact", f.artifact, "Events that touched this artifact uid")->type_name("UID");
    sub->add_option("--result", f.result, "ok, denied or error")->check(CLI::IsMember({"ok", "denied", "error"}));
    sub->add_option("--limit", f.limit, "Only the newest N matching events")->type_name("N")
        ->check(CLI::Range(int64_t{0}, int64_t{1'000'000'000'000}));
}

void run_list(const FilterOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    auto events = audit::list_events(inst.catalog(), o.filter());
    audit::record(inst.catalog(), inst.actor(), {"audit", {}, "ok", std::nullopt, {{"filters", o.json()}, {"count", events.size()}}});
    if (g.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& e : events) {
            nlohmann::json j = audit::to_json(e);
            j["current_keys"] = audit::current_keys(inst.catalog(), e.targets);
            arr.push_back(std::move(j));
        }
        print_json(arr);
        return;
    }
    if (events.empty()) return info(g, "no matching events");
    std::printf("%6s  %-19s  %-12s  %-16s  %-6s  %s\n", "SEQ", "TIME (UTC)", "ACTOR", "ACTION", "RESULT", "TARGETS");
    for (const auto& e : events) {
        std::string targets;
        const nlohmann::json keys = audit::current_keys(inst.catalog(), e.targets);
        for (const auto& t : e.targets) {
            targets += (targets.empty() ? "" : ",") + (t.is_string() ? t.get<std::string>() : t.dump());
            if (t.is_string() && keys.contains(t.get<std::string>())) targets += " (" + keys[t.get<std::string>()].get<std::string>() + ")";
        }
        if (e.redacted_at) targets += (targets.empty() ? "" : " ") + std::string("[redacted]");
        std::string result = e.result + (e.error_code ? "(" + std::to_string(*e.error_code) + ")" : "");
        std::printf("%6lld  %-19s  %-12s  %-16s  %-6s  %s\n", static_cast<long long>(e.seq),
                    format_utc_ms(e.time_ms).substr(0, 19).c_str(), e.actor.c_str(), e.action.c_str(), result.c_str(),
                    targets.c_str());
    }
}

void run_export(const AuditOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    audit::Filter filter = o.exp.filter();
    int64_t n = 0;
    auto record = [&] {
        audit::record(inst.catalog(), inst.actor(),
                      {"audit.export", {}, "ok", std::nullopt,
                       {{"filters", o.exp.json()}, {"count", n}, {"output", o.export_output.empty() ? "-" : o.export_output}}});
    };
    if (o.export_output.empty() || o.export_output == "-") {
        // Standard output cannot be taken back: the export is recorded
        // before its first byte, and then writes exactly the events it
        // recorded (those up to this moment, not its own event).
        filter.through_seq = audit::last_seq(inst.catalog());
        n = audit::count_events(inst.catalog(), filter);
        record();
        audit::export_jsonl(inst.catalog(), filter, std::cout);
    } else {
        // Events name people and hosts: the file is private (0600) and
        // appears under its name only when complete.
        const std::filesystem::path dest = o.export_output;
        fs::TempFile temp(dest.parent_path().empty() ? "." : dest.parent_path(), "." + dest.filename().string());
        {
            std::ofstream out(temp.path(), std::ios::binary | std::ios::trunc);
            n = audit::export_jsonl(inst.catalog(), filter, out);
        }
        // Recorded before the file appears, as a load is.
        record();
        temp.commit(dest);
        info(g, "exported " + std::to_string(n) + " events to " + dest.string());
    }
}

// Read-only: works on an auditor's read-only copy and never appends to a
// trail, least of all one that fails (so it writes no event at all).
void run_verify(const AuditOpts& o, GlobalOptions& g) {
    Instance& inst = instance_read_only(g);
    std::optional<audit::Checkpoint> cp;
    if (!o.checkpoint_file.empty()) {
        auto j = nlohmann::json::parse(fs::read_file(o.checkpoint_file), nullptr, false);
        if (j.is_discarded()) throw Error(ErrorKind::usage, o.checkpoint_file + " is not JSON");
        cp = audit::checkpoint_from_json(j);
    }
    audit::VerifyReport r = audit::verify(inst.catalog(), cp ? &*cp : nullptr);
    audit::check_redactions(inst.catalog(), r);
    const audit::AnchorReport anchors = audit::check_anchors(inst, r, !o.no_storage);
    artifact::verify_rows(inst.catalog(), r); // only when all above held
    if (g.json) {
        nlohmann::json j = audit::to_json(r);
        j["anchors"] = audit::to_json(anchors);
        print_json(j);
    } else if (r.ok()) {
        std::cout << "OK: " << r.events << " events verified (seq " << r.first_seq << ".." << r.last_seq << ")"
                  << (r.anchor_seq ? ", from prune anchor at seq " + std::to_string(*r.anchor_seq) : std::string())
                  << (r.checkpoint_checked ? ", checkpoint of " + std::to_string(*r.checkpoint_count) + " events matches" : std::string())
                  << "; " << r.artifacts_checked.value_or(0) << " artifacts match their seals\n";
        std::cout << audit::describe(anchors);
        if (r.artifacts_unsealed)
            info(g, "note: " + std::to_string(r.artifacts_unsealed) +
                        " artifacts saved before seals are sealed by the next cairn command that writes");
        if (!r.note.empty()) info(g, "note: " + r.note);
    }
    if (!r.ok()) {
        // With --json the report above is the answer; keep stdout one document.
        g.json = false;
        throw Error(ErrorKind::integrity,
                    (r.bad_seq ? "audit trail is broken at seq " + std::to_string(*r.bad_seq)
                               : std::string("audit check failed")) +
                        " (" + audit::problem_name(r.problem) + "): " + r.message,
                    "keep the catalog as it is for investigation; compare with an exported checkpoint or backup");
    }
}

void run_checkpoint(const AuditOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    const audit::VerifyReport r = audit::verify(inst.catalog());
    if (!r.ok())
        throw Error(ErrorKind::integrity,
                    "refusing to sign a checkpoint: audit trail is broken at seq " + std::to_string(r.bad_seq.value_or(0)) +
                        " (" + audit::problem_name(r.problem) + ")",
                    "run 'cairn audit verify' for details");
    // Record first, so the checkpoint covers its own event.
    audit::record(inst.catalog(), inst.actor(),
                  {"audit.checkpoint", {}, "ok", std::nullopt, {{"output", o.checkpoint_output.empty() ? "-" : o.checkpoint_output}}});
    const nlohmann::json cp = audit::to_json(audit::make_checkpoint(inst.catalog()));
    if (o.checkpoint_output.empty() || o.checkpoint_output == "-") return print_json(cp);
    fs::write_file_atomic(o.checkpoint_output, cp.dump(2) + "\n",
                          std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    if (g.json) return print_json({{"checkpoint", o.checkpoint_output}, {"count", cp["count"]}, {"head", cp["head"]}});
    info(g, "checkpoint of " + cp["count"].dump() + " events written to " + o.checkpoint_output +
                " (key " + cp["key_fingerprint"].get<std::string>() + "); keep a copy outside this machine");
}

void run_prune(const AuditOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    access::authorize(inst, keys::Action::administer);
    const int64_t before = parse_time_ms(o.before);
    const audit::PruneResult plan = audit::plan_prune(inst.catalog(), before, now_ms());
    if (o.dry_run) {
        if (g.json) return print_json({{"dry_run", true}, {"would_prune", plan.pruned}, {"anchor_seq", plan.anchor_seq}});
        std::cout << "would prune " << plan.pruned << " events (up to seq " << plan.anchor_seq << ")\n";
        return;
    }
    const audit::PruneResult done = audit::prune(inst.catalog(), inst.actor(), before, now_ms());
    request_publish();
    if (g.json) return print_json({{"pruned", done.pruned}, {"anchor_seq", done.anchor_seq}});
    std::cout << "pruned " << done.pruned << " events" << (done.pruned ? " (up to seq " + std::to_string(done.anchor_seq) + ")" : "")
              << "\n";
}

void run_public_key(GlobalOptions& g) {
    Instance& inst = instance(g);
    const audit::PublicKey key = audit::load_public_key(inst.dir());
    if (g.json) return print_json({{"algorithm", "Ed25519"}, {"public_key_pem", audit::public_key_pem(key)},
                                   {"key_fingerprint", audit::fingerprint(key)}});
    std::cout << audit::public_key_pem(key);
    info(g, audit::fingerprint(key));
}

void run_inventory(GlobalOptions& g) {
    Instance& inst = instance(g);
    const auto entries = audit::inventory(inst.catalog(), inst.config().retention);
    audit::record(inst.catalog(), inst.actor(), {"audit.inventory", {}, "ok", std::nullopt, {{"count", entries.size()}}});
    if (g.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& e : entries) arr.push_back(audit::to_json(e));
        return print_json(arr);
    }
    std::printf("%-16s %-30s %4s %-16s %-22s %-16s %-12s %s\n", "UID", "KEY", "VER", "STATE", "ENCRYPTION", "KEY ID",
                "RETENTION", "STORAGE / DELETION");
    for (const auto& e : entries) {
        std::string where = e.storage_url + (e.object_name.empty() ? "" : "/" + e.object_name);
        if (e.deletion)
            where += "  request " + e.deletion->request_uid + " (" + e.deletion->request_state + ", " +
                     e.deletion->target_state + ", deadline " + format_utc_ms(e.deletion->deadline_at).substr(0, 10) + ")";
        std::printf("%-16s %s %4d %-16s %-22s %-16s %-12s %s\n", e.uid.c_str(),
                    pad_to(e.key.empty() ? "(shredded)" : e.key, 30).c_str(), e.version, e.state.c_str(), e.encryption.c_str(),
                    e.data_key_shredded ? "(shredded)" : e.key_id.c_str(),
                    e.retention_rule.empty() ? "-" : e.retention_rule.c_str(), where.c_str());
    }
}

} // namespace

void register_audit(CLI::App& app, GlobalOptions& g) {
    auto o = std::make_shared<AuditOpts>();
    auto* sub = app.add_subcommand("audit", "List, export, verify, checkpoint and prune the audit trail");
    sub->require_subcommand(0, 1);
    sub->footer("Examples:\n  cairn audit --since 7d --action load\n  cairn audit verify --checkpoint cp.json\n\n"
                "EXIT STATUS: 0 ok, 2 bad arguments or prune of events younger than 12 months, 3 a published checkpoint "
                "vanished while being read, 4 the audit trail failed verification (or does not match an anchor: this host's "
                "recorded head, a published checkpoint), 5 the storage holding published checkpoints failed, 7 no instance.");
    add_filters(sub, o->list);
    sub->callback([o, sub, &g] {
        if (sub->get_subcommands().empty()) run_list(o->list, g);
    });

    auto* exp = sub->add_subcommand("export", "Write events as JSON Lines (one event per line, with seq and chain)");
    exp->add_option("-o,--output", o->export_output, "File to write (0600; default: stdout)")->type_name("FILE");
    add_filters(exp, o->exp);
    exp->callback([o, &g] { run_export(*o, g); });

    auto* ver = sub->add_subcommand("verify", "Recompute the chain; report OK or the first bad position");
    ver->add_option("--checkpoint", o->checkpoint_file, "Also check against a checkpoint (detects a deleted tail)")->type_name("FILE");
    ver->add_flag("--no-storage", o->no_storage, "Check the catalog and this host's recorded head only; read no published checkpoints");
    ver->callback([o, &g] { run_verify(*o, g); });

    auto* cp = sub->add_subcommand("checkpoint", "Write a signed checkpoint (count, head, time) to keep elsewhere");
    cp->add_option("-o,--output", o->checkpoint_output, "File to write (default: stdout)")->type_name("FILE");
    cp->callback([o, &g] { run_checkpoint(*o, g); });

    auto* pr = sub->add_subcommand("prune", "Remove events older than DATE (never younger than 12 months)");
    pr->add_option("--before", o->before, "Prune events before this time (at least 365 days ago)")->required()->type_name("DATE");
    pr->add_flag("--dry-run", o->dry_run, "Print what would be pruned and stop");
    pr->callback([o, &g] { run_prune(*o, g); });

    auto* pk = sub->add_subcommand("public-key", "Print the public key that verifies checkpoints (PEM)");
    pk->callback([&g] { run_public_key(g); });

    auto* inv = sub->add_subcommand("inventory", "Data map: every artifact, its storage, encryption, key, retention and deletion");
    inv->footer("Example:\n  cairn audit inventory --json\n\nLists active artifacts, those pending deletion and deleted ones "
                "(tombstones: uid, dates, certificate state).\nEXIT STATUS: 0 ok, 7 no instance.");
    inv->callback([&g] { run_inventory(g); });
}

} // namespace cairn::cmd
