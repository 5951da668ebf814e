#include "cmd/context.hpp"

#include "core/artifact/seal.hpp"
#include "core/audit/audit.hpp"
#include "core/audit/event_signatures.hpp"
#include "core/audit/host_head.hpp"
#include "core/audit/instance_anchors.hpp"
#include "core/audit/published.hpp"
#include "core/audit/resolved.hpp"
#include "core/cache/cache.hpp"
#include "core/purge/copies.hpp"
#include "core/util/fs.hpp"
#include "core/util/time.hpp"

#include <cstdio>

#include <cstdlib>
#include <memory>

namespace cairn::cmd {

namespace {
std::unique_ptr<Instance>& opened() {
    static std::unique_ptr<Instance> k_instance;
    return k_instance;
}
// True once the instance was opened for writing and its trail matched this
// host's recorded head: only then is the head moved on (core/audit/host_head.hpp).
bool& head_checked() {
    static bool k_checked = false;
    return k_checked;
}
// The newest seq when the instance was opened: the head is recorded only
// after a command that appended events.
int64_t& seq_at_open() {
    static int64_t k_seq = 0;
    return k_seq;
}

// Refuses a trail that no longer matches the head this host recorded. The
// instance is forgotten first, so not even the failure is appended to it.
void check_head(std::unique_ptr<Instance>& inst) {
    const audit::HeadCheck check = audit::check_host_head(inst->catalog(), inst->dir());
    if (!check.ok()) {
        inst.reset();
        audit::require_host_head(check);
    }
    head_checked() = true;
    seq_at_open() = audit::newest_seq(inst->catalog());
}
// Every event names the credential the process holds (issue 14): commands
// that need none still record which one it would act with, or "none".
void name_credential(Instance& inst) {
    try {
        inst.principal();
    } catch (const std::exception&) {
        // No usable credential: events say "none"; commands that need one
        // fail with the same error when they ask for it.
    }
}

// Every command destroys this account's copies of artifacts being purged
// (core/purge/copies.hpp): a purge run by cron under another account cannot.
void destroy_doomed_copies(Instance& inst) {
    try {
        const auto swept = purge::destroy_own_copies(inst.catalog(), inst.actor(), now_ms());
        for (const auto& failure : swept.failures)
            std::fprintf(stderr, "cairn: warning: cannot destroy a copy of a purged artifact: %s\n", failure.c_str());
    } catch (const std::exception& e) {
        // The command the user asked for still runs; the copy stays listed
        // as outstanding in 'cairn purge status' and is retried next time.
        std::fprintf(stderr, "cairn: warning: cannot destroy copies of purged artifacts: %s\n", e.what());
    }
}

// Once after the upgrade that added seals: artifacts saved before get
// theirs (core/artifact/seal.hpp) before any command reads them.
void seal_pending_artifacts(Instance& inst) {
    const int64_t n = artifact::seal_pending_artifacts(inst.catalog(), inst.actor());
    if (n > 0) std::fprintf(stderr, "cairn: sealed %lld artifacts saved before this version\n", static_cast<long long>(n));
}

// Temp files of this account's killed saves and loads go with the next
// command, whatever it is (issue 15): they are ciphertext, but hundreds of
// MiB each.
void remove_dead_temps(const Instance& inst) {
    try {
        cache::remove_dead_temps(cache::default_cache_root(inst.config().instance_id));
    } catch (const std::exception&) {
        // No cache location (no HOME): nothing of ours can be there.
    }
}

} // namespace

Instance& instance(GlobalOptions& g) {
    if (!opened()) {
        opened() = open_instance(g.instance, g.argv);
        check_head(opened());
        name_credential(*opened());
        try {
            opened()->prepare_signer();
        } catch (...) {
            // It could not even sign its failure: record nothing.
            opened().reset();
            throw;
        }
        seal_pending_artifacts(*opened());
        destroy_doomed_copies(*opened());
        remove_dead_temps(*opened());
    }
    return *opened();
}

Instance& instance_read_only(GlobalOptions& g) {
    if (!opened()) {
        opened() = open_instance_read_only(g.instance, g.argv);
        // A member on a machine set up by 'cairn connect' verifies with the
        // audit key of their grant.
        name_credential(*opened());
        remove_dead_temps(*opened());
    }
    return *opened();
}

void close_instance() {
    opened().reset();
    head_checked() = false;
}

std::filesystem::path opened_catalog_path() {
    return opened() ? opened()->catalog().path() : std::filesystem::path();
}

void audit_failure(const std::string& action, const Error& e) {
    if (!opened()) return;
    try {
        const bool denied = e.kind() == ErrorKind::permission;
        // The artifacts the command resolved before it failed are its
        // targets, so purge redacts this event with theirs.
        audit::record(opened()->catalog(), opened()->actor(),
                      {action, audit::resolved_uids(), denied ? "denied" : "error", exit_code(e.kind()),
                       {{"error", e.what()}, {"kind", kind_name(e.kind())}}});
    } catch (...) {
        // The command already failed; its error is what the user needs to see.
    }
}

namespace {

bool& publish_requested() {
    static bool k_requested = false;
    return k_requested;
}

// Publishes a signed checkpoint to every storage location when the command
// asked for it (purge run, audit prune, key and access changes) or the last
// one is older than a day, and records that in the trail.
void publish_if_due(Instance& inst) {
    if (!publish_requested() && !audit::publish_due(inst.catalog(), now_ms())) return;
    // Only the instance's key signs checkpoints; a machine set up by 'cairn
    // connect' leaves them to one that holds it.
    if (!audit::instance_signer(inst.dir())) {
        if (publish_requested())
            std::fprintf(stderr, "cairn: note: this machine holds no audit signing key; the next command on one "
                                 "that does publishes the checkpoint\n");
        return;
    }
    const audit::InstanceLocations locations(inst);
    const audit::PublishOutcome out = audit::publish_checkpoint(inst.catalog(), locations.get());
    for (const auto& failure : out.failures)
        std::fprintf(stderr, "cairn: warning: cannot publish the audit checkpoint to %s\n", failure.c_str());
    const bool ok = out.failures.empty();
    audit::record(inst.catalog(), inst.actor(),
                  {"audit.publish", {}, ok ? "ok" : "error", ok ? std::nullopt : std::optional<int>(exit_code(ErrorKind::storage)),
                   {{"count", out.count}, {"object", out.name}, {"locations", out.published}, {"failures", out.failures}}});
}

} // namespace

void request_publish() { publish_requested() = true; }

void finish_command() {
    if (!opened() || !head_checked()) return;
    try {
        publish_if_due(*opened());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cairn: warning: cannot publish the audit checkpoint: %s\n", e.what());
    }
    try {
        audit::record_host_head(opened()->catalog(), opened()->dir(), seq_at_open());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cairn: warning: cannot record the audit head outside the instance: %s\n", e.what());
    }
}

std::optional<keys::SecretString> new_passphrase(bool wanted) {
    if (!wanted) return std::nullopt;
    const char* file = std::getenv("CAIRN_PASSPHRASE_FILE");
    if (!file || !*file)
        throw Error(ErrorKind::usage, "--passphrase needs CAIRN_PASSPHRASE_FILE",
                    "put the passphrase in a 0600 file and set CAIRN_PASSPHRASE_FILE to its path");
    keys::SecretString p = keys::passphrase_from_file(file);
    if (p.empty()) throw Error(ErrorKind::usage, "passphrase file " + std::string(file) + " is empty");
    return p;
}

} // namespace cairn::cmd
