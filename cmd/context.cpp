#include "cmd/context.hpp"

#include "core/artifact/seal.hpp"
#include "core/audit/audit.hpp"
#include "core/audit/resolved.hpp"
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

} // namespace

Instance& instance(GlobalOptions& g) {
    if (!opened()) {
        opened() = open_instance(g.instance, g.argv);
        name_credential(*opened());
        seal_pending_artifacts(*opened());
        destroy_doomed_copies(*opened());
    }
    return *opened();
}

Instance& instance_read_only(GlobalOptions& g) {
    if (!opened()) opened() = open_instance_read_only(g.instance, g.argv);
    return *opened();
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

std::optional<std::string> new_passphrase(bool wanted) {
    if (!wanted) return std::nullopt;
    const char* file = std::getenv("CAIRN_PASSPHRASE_FILE");
    if (!file || !*file)
        throw Error(ErrorKind::usage, "--passphrase needs CAIRN_PASSPHRASE_FILE",
                    "put the passphrase in a 0600 file and set CAIRN_PASSPHRASE_FILE to its path");
    fs::require_private_file(file, "passphrase file");
    std::string p = fs::read_file(file);
    while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
    if (p.empty()) throw Error(ErrorKind::usage, "passphrase file " + std::string(file) + " is empty");
    return p;
}

} // namespace cairn::cmd
