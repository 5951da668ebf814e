#pragma once
// The per-host head: an anchor of the audit trail kept outside the instance.
// After each command that appended events, the head this host saw (instance
// id, canonical .cairn path, seq, chain value, fingerprint of the audit
// signing key) is written to
//   $XDG_STATE_HOME/cairn/heads/<sha256 hex of the canonical .cairn path>.json
// (default $HOME/.local/state/cairn), file 0600, directories 0700. Every open
// compares the catalog with it: one file read and one indexed row lookup.
// A truncated or rolled-back trail, a replaced instance (wiped and re-created)
// and replaced audit keys no longer match. See docs/AUDIT.md, "Anchors".
#include "core/audit/chain.hpp"
#include "core/audit/verify.hpp"
#include "core/catalog/catalog.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cairn::audit {

inline constexpr std::string_view k_host_head_format = "cairn-audit-host-head-v1";

struct HostHead {
    std::string instance_id{};
    std::string instance_dir{}; // the canonical .cairn path
    int64_t seq = 0;
    ChainValue chain{};
    std::string key_fingerprint{}; // fingerprint() of audit-sign.pub
    int64_t time_ms = 0;
};

nlohmann::json to_json(const HostHead& h);
// Throws integrity error naming `file` when the JSON is not a host head.
HostHead host_head_from_json(const nlohmann::json& j, const std::filesystem::path& file);

// $XDG_STATE_HOME/cairn/heads, else $HOME/.local/state/cairn/heads; nullopt
// when neither variable is set (then no head is read or written). Heads
// are per account: where the nearest existing folder of that path belongs
// to another account, none is read or written.
std::optional<std::filesystem::path> heads_dir();

// The head file of the instance whose .cairn directory is `instance_dir`
// (canonicalised here); nullopt like heads_dir().
std::optional<std::filesystem::path> head_file_for(const std::filesystem::path& instance_dir);

// This host's recorded head of the instance in `instance_dir`, if any (none
// when the state folder belongs to another account).
// Throws integrity error when the file is malformed.
std::optional<HostHead> read_host_head(const std::filesystem::path& instance_dir);

// What the catalog holds compared with the recorded head.
struct HeadCheck {
    std::optional<std::filesystem::path> file; // where the head is (or would be) kept
    std::optional<HostHead> recorded;          // nullopt: this host recorded none
    // The state folder belongs to another account (a HOME inherited through
    // su, sudo or setpriv): its heads are not read or written.
    bool foreign_state = false;
    Problem problem =
        Problem::none;     // instance_replaced, keys_replaced, truncated, deleted, head_mismatch
    int64_t found_seq = 0; // the catalog's newest seq (or prune anchor)
    std::string message{};
    bool ok() const { return problem == Problem::none; }
};

// Compares the catalog of the instance in `instance_dir` with this host's
// recorded head. Never writes. The recorded seq must hold the recorded chain
// value; a pruned seq must lie at or below the newest prune anchor (and,
// when equal, match its chain value).
HeadCheck check_host_head(catalog::Catalog& catalog, const std::filesystem::path& instance_dir);

// Throws integrity error (exit 4) for a failed check, naming what happened,
// the recorded and found seq, the head file and what to do.
void require_host_head(const HeadCheck& check);

// Records the catalog's newest (seq, chain) as this host's head unless the
// recorded one is as high or higher (the head never moves back), under a lock
// so concurrent processes cannot move it back either. Call only when
// check_host_head passed at open. With `after_seq`, records only when the
// trail grew past it (the command appended events). Throws on I/O failure.
void record_host_head(catalog::Catalog& catalog, const std::filesystem::path& instance_dir,
                      int64_t after_seq = -1);

// The newest seq of the trail (or of its newest prune anchor), 0 when empty.
int64_t newest_seq(catalog::Catalog& catalog);

// Removes this host's head file of the instance in `instance_dir` (init
// --replace-instance). Returns whether there was one.
bool remove_host_head(const std::filesystem::path& instance_dir);

} // namespace cairn::audit
