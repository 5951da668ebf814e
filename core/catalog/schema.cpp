#include "core/catalog/schema.hpp"

#include <cctype>

namespace cairn::catalog {

namespace {

// Times are milliseconds since the Unix epoch (UTC). Artifacts are referred
// to by uid everywhere outside this file (audit, lineage), so erasing an
// artifact's name and key never breaks references.
constexpr std::string_view k_v1 = R"sql(
CREATE TABLE instance_info (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE storage (
    id         INTEGER PRIMARY KEY,
    url        TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    probe      TEXT
);
-- Lineage (core/lineage). A transform is the code a run executes, identified
-- by key + kind + the SHA-256 of its source when it is a file, so editing a
-- script makes a new transform row. 'manual' is reserved for the implicit
-- runs that `save --from` records.
CREATE TABLE transform (
    id          INTEGER PRIMARY KEY,
    uid         TEXT NOT NULL UNIQUE,
    key         TEXT NOT NULL,
    kind        TEXT NOT NULL
                CHECK (kind IN ('script', 'notebook', 'pipeline', 'command', 'manual')),
    source_hash TEXT,
    source_path TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX transform_by_key ON transform(key, kind);
-- A run is open while finished_at is NULL; pid and host name the process
-- that owns it, so a run whose process died shows as unfinished.
CREATE TABLE run (
    id           INTEGER PRIMARY KEY,
    uid          TEXT NOT NULL UNIQUE,
    transform_id INTEGER NOT NULL REFERENCES transform(id),
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    exit_status  INTEGER,
    params       TEXT,
    command_line TEXT,
    host         TEXT,
    "user"       TEXT,
    pid          INTEGER
);
CREATE INDEX run_by_transform ON run(transform_id);
CREATE INDEX run_by_started ON run(started_at);
CREATE TABLE artifact (
    id          INTEGER PRIMARY KEY,
    uid         TEXT NOT NULL UNIQUE,
    key         TEXT,
    version     INTEGER NOT NULL,
    is_latest   INTEGER NOT NULL DEFAULT 0,
    kind        TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
    hash        TEXT,
    size        INTEGER NOT NULL,
    suffix      TEXT,
    n_files     INTEGER NOT NULL DEFAULT 1,
    description TEXT,
    storage_id  INTEGER REFERENCES storage(id),
    object_name TEXT,
    stored_size INTEGER,
    wrapped_key BLOB,
    key_id      TEXT,
    state       TEXT NOT NULL DEFAULT 'active'
                CHECK (state IN ('active', 'pending_deletion', 'deleted')),
    created_by  TEXT,
    created_at  INTEGER NOT NULL,
    run_id      INTEGER REFERENCES run(id),
    deleted_at  INTEGER
);
CREATE INDEX artifact_by_key ON artifact(key, version);
CREATE INDEX artifact_by_hash ON artifact(hash);
CREATE INDEX artifact_by_run ON artifact(run_id);
-- Inputs of a run (load under CAIRN_RUN, save --from). Outputs are
-- artifact.run_id. Both directions are indexed for the recursive queries.
CREATE TABLE run_input (
    run_id      INTEGER NOT NULL REFERENCES run(id),
    artifact_id INTEGER NOT NULL REFERENCES artifact(id),
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, artifact_id)
);
CREATE INDEX run_input_by_artifact ON run_input(artifact_id);
-- An upload in flight. Written (and committed) before the object is put and
-- removed in the transaction that inserts the artifact, so an object left by
-- a killed save is always known and can be removed.
CREATE TABLE pending_upload (
    object_name TEXT PRIMARY KEY,
    storage_id  INTEGER NOT NULL REFERENCES storage(id),
    started_at  INTEGER NOT NULL,
    host        TEXT,
    pid         INTEGER
);
-- A member's grant: the instance key wrapped for their public key. Revoking
-- keeps the row (so a revoked key is named in errors) but drops the wrap.
CREATE TABLE member (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    public_key           TEXT NOT NULL,
    fingerprint          TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('reader', 'writer', 'admin')),
    wrapped_instance_key BLOB,
    key_id               TEXT,
    created_at           INTEGER NOT NULL,
    revoked_at           INTEGER
);
CREATE INDEX member_by_fingerprint ON member(fingerprint);
-- A request to delete artifacts for good (purge). Created by 'purge request'
-- or by a retention policy ('policy' names the rule). Never deleted: with its
-- certificate it is the proof of what was destroyed, when and how.
CREATE TABLE deletion_request (
    id               INTEGER PRIMARY KEY,
    uid              TEXT NOT NULL UNIQUE,
    reason           TEXT,
    requested_by     TEXT,
    requested_at     INTEGER NOT NULL,
    due_at           INTEGER NOT NULL,
    deadline_at      INTEGER NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'cancelled', 'done')),
    with_descendants INTEGER NOT NULL DEFAULT 0,
    policy           TEXT,
    cancelled_at     INTEGER,
    completed_at     INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    certificate      TEXT
);
CREATE INDEX deletion_request_by_state ON deletion_request(state, due_at);
-- One artifact of a request and how far its destruction got. Every step is
-- committed before the next starts, so a killed purge run resumes where it
-- stopped: pending -> objects_removed (every version in storage, cache and
-- working copies gone) -> shredded (wrapped key and names erased) ->
-- verified (catalog scrubbed, storage shows no version). The object's
-- location is copied here because shredding erases it from the artifact.
CREATE TABLE deletion_target (
    request_id  INTEGER NOT NULL REFERENCES deletion_request(id),
    artifact_id INTEGER NOT NULL REFERENCES artifact(id),
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'objects_removed', 'shredded', 'verified', 'cancelled')),
    storage_id  INTEGER REFERENCES storage(id),
    object_name TEXT,
    via         TEXT NOT NULL DEFAULT 'ref' CHECK (via IN ('ref', 'descendant', 'policy')),
    updated_at  INTEGER,
    last_error  TEXT,
    PRIMARY KEY (request_id, artifact_id)
);
CREATE INDEX deletion_target_by_artifact ON deletion_target(artifact_id);
-- The audit trail (core/audit). seq is contiguous from 1 and never reused;
-- chain = HMAC-SHA-256 (audit key) over the event's canonical serialisation
-- and the previous event's chain value (core/audit/chain.hpp).
CREATE TABLE audit_event (
    seq          INTEGER PRIMARY KEY,
    time_ms      INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    os_user      TEXT NOT NULL,
    os_uid       INTEGER NOT NULL,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    -- command_line and details are free text that may name people or
    -- files; the chain covers their digests, so purge can set them to NULL
    -- (with redacted_at) without breaking it. See docs/AUDIT.md.
    command_line TEXT,
    action       TEXT NOT NULL,
    targets      TEXT NOT NULL,
    result       TEXT NOT NULL CHECK (result IN ('ok', 'denied', 'error')),
    error_code   INTEGER,
    details      TEXT,
    chain        BLOB NOT NULL,
    command_line_digest BLOB NOT NULL,
    details_digest      BLOB NOT NULL,
    redacted_at  INTEGER,
    CHECK (redacted_at IS NOT NULL OR (command_line IS NOT NULL AND details IS NOT NULL))
);
CREATE INDEX audit_by_time ON audit_event(time_ms);
-- Which events name which artifact uid (audit_event.targets, unpacked), so
-- purge finds the events to redact without scanning the log.
CREATE TABLE audit_target (
    uid TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (uid, seq)
);
-- Written by 'audit prune': the seq and chain value of the last pruned event,
-- signed with the audit signing key, so the remaining chain verifies from it.
CREATE TABLE audit_anchor (
    seq       INTEGER PRIMARY KEY,
    chain     BLOB NOT NULL,
    time_ms   INTEGER NOT NULL,
    pruned    INTEGER NOT NULL,
    signature BLOB NOT NULL
);
)sql";

// Where plaintext and ciphertext copies of artifacts were made outside
// storage (core/catalog/copies.hpp), so purge can prove them destroyed on
// every host and account; and a public fingerprint of each shredded wrapped
// key, so purge can scan the catalog's bytes for a surviving copy.
constexpr std::string_view k_v2_copies = R"sql(
-- A copy load made: a working copy or cache entry (path set: purge or any
-- later cairn command of the same account on the same host destroys it), or
-- an export with -o FILE or to stdout (path NULL: it may name the key; the
-- copy is in the user's custody and certificates say so). doomed_at is set
-- when purge removes the artifact's objects; destroyed_at when the copy was
-- seen gone (how: 'removed' or 'absent').
CREATE TABLE local_copy (
    id           INTEGER PRIMARY KEY,
    artifact_id  INTEGER NOT NULL REFERENCES artifact(id),
    kind         TEXT NOT NULL CHECK (kind IN ('working_copy', 'cache_entry', 'file', 'stdout')),
    host         TEXT NOT NULL,
    os_user      TEXT NOT NULL,
    os_uid       INTEGER NOT NULL,
    path         TEXT,
    created_at   INTEGER NOT NULL,
    doomed_at    INTEGER,
    destroyed_at INTEGER,
    destroyed_by TEXT,
    how          TEXT CHECK (how IN ('removed', 'absent')),
    CHECK ((path IS NULL) = (kind IN ('file', 'stdout')))
);
CREATE UNIQUE INDEX local_copy_by_path ON local_copy(artifact_id, kind, host, os_uid, path) WHERE path IS NOT NULL;
CREATE INDEX local_copy_by_artifact ON local_copy(artifact_id);
-- Every command looks here for copies its account must destroy: kept tiny.
CREATE INDEX local_copy_doomed ON local_copy(host, os_uid) WHERE doomed_at IS NOT NULL AND destroyed_at IS NULL;
-- 12 public bytes of the shredded wrapped key (its nonce or ephemeral key),
-- stored bitwise inverted so the column itself never matches the scan.
ALTER TABLE deletion_target ADD COLUMN key_needle BLOB;
-- An instance's trail starts with init's event and is never empty again
-- (core/audit/audit.cpp refuses to start a second one at seq 1).
INSERT INTO instance_info (name, value)
    SELECT 'audit_trail', 'required' WHERE EXISTS (SELECT 1 FROM instance_info WHERE name = 'instance_id');
)sql";

// Names leave with the data (docs/AUDIT.md, Redaction). The digests of
// redactable audit text become HMAC-SHA-256 under the audit key from the
// next event on; older events keep their SHA-256 digests, which the chain
// covers, so verify needs to know where the keyed ones start: one past the
// last event (or prune anchor) at the time of this migration, 1 on a new
// instance.
constexpr std::string_view k_v2_names = R"sql(
INSERT INTO instance_info (name, value)
SELECT 'audit_keyed_digests_from',
       CAST(COALESCE((SELECT MAX(seq) FROM audit_event), (SELECT MAX(seq) FROM audit_anchor), 0) + 1 AS TEXT)
WHERE true -- SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT
ON CONFLICT (name) DO NOTHING;
)sql";

// The purger role (core/keys/access.hpp): a member who may run deletions and
// holds no instance key (wrapped_instance_key NULL while not revoked).
// SQLite cannot change a CHECK constraint in place, so the table is rebuilt.
constexpr std::string_view k_v4_purger = R"sql(
CREATE TABLE member_v4 (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    public_key           TEXT NOT NULL,
    fingerprint          TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('reader', 'writer', 'admin', 'purger')),
    wrapped_instance_key BLOB,
    key_id               TEXT,
    created_at           INTEGER NOT NULL,
    revoked_at           INTEGER
);
INSERT INTO member_v4 (id, name, public_key, fingerprint, role, wrapped_instance_key, key_id, created_at, revoked_at)
    SELECT id, name, public_key, fingerprint, role, wrapped_instance_key, key_id, created_at, revoked_at FROM member;
DROP TABLE member;
ALTER TABLE member_v4 RENAME TO member;
CREATE INDEX member_by_fingerprint ON member(fingerprint);
-- Which credential acted (core/audit/chain.hpp k_credential_column).
ALTER TABLE audit_event ADD COLUMN credential TEXT;
)sql";

// Sealed artifact rows (core/artifact/seal.hpp, docs/SECURITY.md): the
// event that created an artifact carries a digest of its row in a chained
// column, and each stored wrapped key carries an HMAC under the audit key.
// Artifacts saved before this get their seal from the first command that
// opens the instance for writing ('artifact_seals' = 'pending').
constexpr std::string_view k_v5_seals = R"sql(
ALTER TABLE audit_event ADD COLUMN seal BLOB;
ALTER TABLE artifact ADD COLUMN wrap_mac BLOB;
CREATE INDEX audit_sealed ON audit_event(seq) WHERE seal IS NOT NULL;
-- audit verify matches redactions with the purges that made them
-- (core/audit/redactions.cpp) without two more scans of the log.
CREATE INDEX audit_redacted ON audit_event(seq) WHERE redacted_at IS NOT NULL;
CREATE INDEX audit_shreds ON audit_event(seq) WHERE action = 'purge.shred';
INSERT INTO instance_info (name, value)
    SELECT 'artifact_seals', 'pending' WHERE EXISTS (SELECT 1 FROM artifact WHERE wrapped_key IS NOT NULL)
    ON CONFLICT (name) DO UPDATE SET value = excluded.value;
)sql";

// The audit trail is append-only where the database enforces it: on
// PostgreSQL, whose logins other than the owner cannot drop or disable a
// trigger (docs/TEAMS.md, Database roles). The only changes allowed:
//  - an INSERT, whose stored_at the database sets from its own clock;
//  - purge's redaction: command_line and details to NULL with redacted_at,
//    once, every other column unchanged;
//  - audit prune's DELETE of events the database stored over 365 days ago,
//    and of the audit_target rows of events already gone.
// audit_anchor rows are never changed or deleted; TRUNCATE is refused on all
// three tables. The functions keep the search_path they were created with,
// so a login cannot shadow a table they read with one of its own. On SQLite the catalog's owner can change anything in the
// file, so there is nothing a trigger could enforce: this migration is
// empty there, and `audit verify` is what finds changes on both.
// Also: the database login a member's grant made a member of a database
// role (core/catalog/db_roles.hpp), so revoking removes it; NULL on SQLite.
constexpr std::string_view k_v6_db_login = R"sql(
ALTER TABLE member ADD COLUMN db_login TEXT;
)sql";
constexpr std::string_view k_v6_audit_guards_pg = R"sql(
ALTER TABLE audit_event ADD COLUMN stored_at BIGINT;
CREATE FUNCTION cairn_db_now_ms() RETURNS BIGINT LANGUAGE sql STABLE SET search_path FROM CURRENT
    AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;
CREATE FUNCTION cairn_guard_audit_event() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.stored_at := cairn_db_now_ms();
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
           AND NEW.command_line IS NULL AND NEW.details IS NULL
           AND to_jsonb(NEW) - ARRAY['command_line', 'details', 'redacted_at']
               = to_jsonb(OLD) - ARRAY['command_line', 'details', 'redacted_at'] THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'cairn: audit event % may not be changed (the audit trail is append-only; purge may only redact it)', OLD.seq
            USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.stored_at IS NOT NULL AND OLD.stored_at < cairn_db_now_ms() - 365::bigint * 86400000 THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'cairn: audit event % may not be deleted (the database stored it less than 365 days ago)', OLD.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION 'cairn: % of the audit trail is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE FUNCTION cairn_guard_audit_target() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM audit_event WHERE seq = OLD.seq) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'cairn: % of the index of audit event % is refused (only audit prune removes it, after the event)', TG_OP, OLD.seq
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE FUNCTION cairn_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'cairn: % on % is refused (the audit trail is append-only)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER guard BEFORE INSERT OR UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION cairn_guard_audit_event();
CREATE TRIGGER guard BEFORE UPDATE OR DELETE ON audit_target
    FOR EACH ROW EXECUTE FUNCTION cairn_guard_audit_target();
CREATE TRIGGER guard BEFORE UPDATE OR DELETE ON audit_anchor
    FOR EACH ROW EXECUTE FUNCTION cairn_refuse_audit_change();
CREATE TRIGGER guard_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION cairn_refuse_audit_change();
CREATE TRIGGER guard_truncate BEFORE TRUNCATE ON audit_target
    FOR EACH STATEMENT EXECUTE FUNCTION cairn_refuse_audit_change();
CREATE TRIGGER guard_truncate BEFORE TRUNCATE ON audit_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION cairn_refuse_audit_change();
)sql";

// Per-member event signatures (docs/AUDIT.md, Member signatures): a
// member's Ed25519 public key and the audit key wrapped for them (so a
// machine set up with 'cairn connect' chains events without a key file),
// and on each event who signed it and the signature. Instances that sign
// their events name the first signed seq in instance_info
// 'audit_signed_from'.
constexpr std::string_view k_v7_member_signatures = R"sql(
ALTER TABLE member ADD COLUMN signing_key TEXT;
ALTER TABLE member ADD COLUMN wrapped_audit_key BLOB;
ALTER TABLE audit_event ADD COLUMN signer TEXT;
ALTER TABLE audit_event ADD COLUMN signature BLOB;
)sql";

// Key custody on a shared catalog (core/artifact/key_objects.hpp): the
// key object a purge destroys with the data object, recorded when the row's
// key reference is erased, so a resumed run still verifies it is gone.
constexpr std::string_view k_v8_key_objects = R"sql(
ALTER TABLE deletion_target ADD COLUMN key_object TEXT;
)sql";

struct Migration {
    std::string_view sql;                // for both: SQLite's text, translated for PostgreSQL
    std::string_view postgres_only = {}; // run after it on PostgreSQL
};

const std::vector<Migration>& all_migrations() {
    static const std::vector<Migration> k_all = {
        {k_v1}, {k_v2_copies}, {k_v2_names}, {k_v4_purger}, {k_v5_seals},
        {k_v6_db_login, k_v6_audit_guards_pg}, {k_v7_member_signatures}, {k_v8_key_objects}};
    return k_all;
}

} // namespace

size_t migration_count() { return all_migrations().size(); }

const std::vector<const char*>& schema_tables() {
    static const std::vector<const char*> k_tables = {
        "instance_info", "storage",          "transform",       "run",        "artifact",
        "run_input",     "pending_upload",   "member",          "deletion_request", "deletion_target",
        "local_copy",    "audit_event",      "audit_target",    "audit_anchor"};
    return k_tables;
}

namespace {

// Replaces every whole-word `word` in `sql` (words: letters, digits, '_')
// that does not follow `unless_after`.
std::string replace_word(std::string sql, std::string_view word, std::string_view by,
                         std::string_view unless_after = {}) {
    auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    for (size_t at = sql.find(word); at != std::string::npos; at = sql.find(word, at)) {
        const size_t end = at + word.size();
        const bool excluded = !unless_after.empty() && at >= unless_after.size() &&
                              std::string_view(sql).substr(at - unless_after.size(), unless_after.size()) == unless_after;
        if (excluded || (at > 0 && is_word(sql[at - 1])) || (end < sql.size() && is_word(sql[end]))) {
            at = end;
            continue;
        }
        sql.replace(at, word.size(), by);
        at += by.size();
    }
    return sql;
}

} // namespace

std::string migration_sql(size_t index, db::Dialect dialect) {
    const Migration& m = all_migrations().at(index);
    if (dialect == db::Dialect::sqlite) return std::string(m.sql);
    std::string sql(m.sql);
    sql = replace_word(std::move(sql), "INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    sql = replace_word(std::move(sql), "INTEGER", "BIGINT");
    // Text compares bytewise, as SQLite's BINARY collation does, whatever
    // the database's locale: key ranges and ORDER BY agree on both.
    sql = replace_word(std::move(sql), "TEXT", "TEXT COLLATE \"C\"", "AS ");
    return replace_word(std::move(sql), "BLOB", "BYTEA") + std::string(m.postgres_only);
}

} // namespace cairn::catalog
