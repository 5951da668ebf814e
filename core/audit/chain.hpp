#pragma once
// The hash chain: chain[n] = HMAC-SHA-256(audit key, canonical(event n) || chain[n-1]),
// with chain[0] = 32 zero bytes (or the chain value of a prune anchor).
//
// The canonical serialisation is unambiguous by construction: a domain tag,
// then every column in a fixed order, each as a one-byte type tag ('n' null,
// 'i' integer, 't' text, 'b' blob) followed, for integers, by 8 bytes
// big-endian and, for text and blobs, by an 8-byte big-endian length and the
// bytes. The value's kind (SQLite's storage class, the same classes on
// PostgreSQL: catalog/db/statement.hpp Kind) is part of what is
// authenticated, so even turning "" into NULL or 1 into '1' breaks the chain,
// and an event hashes the same on both catalogs.
#include "core/catalog/db/statement.hpp"
#include "core/catalog/read.hpp"
#include "core/crypto/secret.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::catalog {
class Catalog;
}

struct evp_mac_ctx_st;

namespace cairn::audit {

using ChainValue = std::array<std::byte, 32>;

// The audit_event columns in canonical order, then the stored chain value,
// then what the redactable columns need. SELECTs that feed
// canonical_from_row() use exactly this list.
//
// command_line and details are free text that may name people or files, so
// the chain covers their digests (command_line_digest, details_digest), not
// the text: purge can redact the text (NULL, with redacted_at set) and the
// chain still verifies. See docs/AUDIT.md.
inline constexpr std::string_view k_event_columns =
    "seq, time_ms, actor, os_user, os_uid, host, pid, command_line, action, targets, result, error_code, "
    "details, chain, command_line_digest, details_digest, redacted_at, credential, seal";
inline constexpr int k_event_field_count = 13; // columns before `chain`
inline constexpr int k_chain_column = 13;
inline constexpr int k_command_line_column = 7;
inline constexpr int k_targets_column = 9;
inline constexpr int k_details_column = 12;
inline constexpr int k_command_line_digest_column = 14;
inline constexpr int k_details_digest_column = 15;
inline constexpr int k_redacted_at_column = 16;
// The credential that acted (Actor::credential). Chained after the other
// fields in events from the keyed-digest marker on (DigestMode::keyed), the
// event format this column came with; older events have none.
inline constexpr int k_credential_column = 17;
// The seal of the artifact row an event created (core/artifact/seal.hpp):
// chained after the credential when not NULL. Appending a field only when
// present is unambiguous, as every field is self-delimiting and the fields
// before it are fixed: setting or clearing it changes the MAC.
inline constexpr int k_seal_column = 18;
inline constexpr std::string_view k_event_domain = "cairn.audit.event.v2";
inline constexpr std::string_view k_command_line_domain = "cairn.audit.command_line.v1";
inline constexpr std::string_view k_details_domain = "cairn.audit.details.v1";

using TextDigest = std::array<std::byte, 32>;

// SHA-256('t' u64be(len) domain 't' u64be(len) text): the digest of a
// redactable column as written before keyed digests (events older than
// keyed_digests_from(); see docs/AUDIT.md). Anyone can compute it, so it
// confirms a guessed text; new events use ChainMac::text_digest().
TextDigest text_digest(std::string_view domain, std::string_view text);

// Builds canonical serialisations.
class CanonicalWriter {
public:
    explicit CanonicalWriter(std::string_view domain) { reset(domain); }
    void reset(std::string_view domain);
    void null();
    void integer(int64_t v);
    void text(std::string_view s);
    void blob(std::span<const std::byte> b);
    // Appends bytes that are already canonical (a saved run of fields).
    void raw(std::string_view canonical) { m_buf.append(canonical); }
    // Appends a column's value according to its kind (SQLite's storage
    // class; the same classes on PostgreSQL, see catalog/db/statement.hpp).
    void column(const catalog::db::Column& c);
    std::span<const std::byte> bytes() const { return std::as_bytes(std::span(m_buf.data(), m_buf.size())); }
    std::string_view view() const { return m_buf; }

private:
    void length(uint64_t n);
    std::string m_buf;
};

// HMAC-SHA-256 keyed once; compute() may be called any number of times.
// Not thread-safe: give each thread its own copy.
class ChainMac {
public:
    explicit ChainMac(const crypto::SecretKey& key);
    ~ChainMac();
    // Duplicates the keyed context (EVP_MAC_CTX_dup): no key reload or
    // re-keying. `other` must not be in use by another thread meanwhile.
    ChainMac(const ChainMac& other);
    ChainMac& operator=(const ChainMac&) = delete;
    // MAC over `canonical` followed by the previous chain value.
    ChainValue compute(std::span<const std::byte> canonical, const ChainValue& prev);
    // HMAC-SHA-256 under the audit key over the same bytes as the unkeyed
    // text_digest(): the digest of a redactable column in events from
    // keyed_digests_from() on. Without the key it confirms no guess.
    TextDigest text_digest(std::string_view domain, std::string_view text);

private:
    ::evp_mac_ctx_st* m_ctx = nullptr;
};

// The process-wide ChainMac for the instance whose .cairn directory is
// `dir`, loading the audit key on first use (cached so appends and verify
// don't reread the file per event). Throws like load_mac_key().
ChainMac& chain_mac_for(const std::filesystem::path& dir);

// Makes `key` the audit key of the instance in `dir` for this process,
// where dir holds no audit.key: a machine set up by 'cairn connect', whose
// member grant carries the key (core/access/identity.hpp).
void install_mac_key(const std::filesystem::path& dir, const crypto::SecretKey& key);

// A redactable column's text and the digest stored for it, whose check
// canonical_from_row() left to the caller. The views point into the row
// (valid until the next step).
struct TextCheck {
    std::string_view domain;
    std::string_view text;
    TextDigest stored;
    bool keyed = true; // the event's digests are keyed (its seq >= keyed_digests_from)
    // The digest of `text` (keyed with `mac`, else SHA-256) == stored, in
    // constant time.
    bool ok(ChainMac& mac) const;
};

// Where the digests of redactable text are keyed: from event seq `from` on
// (instance_info 'audit_keyed_digests_from', set by the migration that
// introduced them), with `mac`; before it they are plain SHA-256.
struct DigestMode {
    int64_t keyed_from = 1;
    ChainMac* mac = nullptr;
    bool keyed(int64_t seq) const { return seq >= keyed_from; }
};

// Canonical serialisation of the first k_event_field_count columns of `row`
// (selected with k_event_columns) into `out`; for command_line and details,
// their stored digest. The text, when present, must match its digest; when
// absent, the row must be marked redacted (redacted_at). A row that breaks
// either rule gets a serialisation no event ever has, so its MAC fails.
//
// With `deferred`, texts are not hashed here: each text with a 32-byte
// stored digest is appended to it (at most two per row) and serialised as if
// it matched; the caller must then treat a failed TextCheck::ok() like a
// failed MAC at this row (verify hashes on worker threads this way).
// `mode` says how the row's digests were made (see DigestMode).
void canonical_from_row(const catalog::db::Statement& row, CanonicalWriter& out, const DigestMode& mode,
                        std::vector<TextCheck>* deferred = nullptr);

// Length of the canonical prefix before the first field after seq (the
// domain tag and the seq integer).
inline constexpr size_t k_canonical_seq_prefix = 1 + 8 + k_event_domain.size() + 1 + 8;

// A stored chain value from a BLOB column; a wrong length yields all-ones
// (never equal to a real MAC by chance, and never the genesis value).
ChainValue chain_from_column(const catalog::db::Column& c);

inline constexpr ChainValue k_genesis{};

inline constexpr std::string_view k_keyed_from_setting = "audit_keyed_digests_from";

// The first seq whose digests are keyed (instance_info, see DigestMode).
// A catalog without the setting has no keyed digests: INT64_MAX.
int64_t keyed_digests_from(catalog::Catalog& catalog, catalog::Read read = catalog::Read::cached);

} // namespace cairn::audit
