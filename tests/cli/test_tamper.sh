#!/usr/bin/env bash
# Issue 14 item 3: sealed catalog rows. Whoever can write catalog.db, or
# holds a write-only key, may add versions, but cannot change an existing
# artifact's key, version, content hash, size, object or wrapped key without
# load (exit 4) and audit verify (exit 4) noticing. Each attack from
# docs/SECURITY.md ("Catalog rows") is run against a pristine copy.
source "$(dirname "$0")/lib.sh"

sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=[c.execute(s).fetchall() for s in sys.argv[2:]][-1]; c.commit(); print('\n'.join('|'.join(map(str,x)) for x in r))" "$@"; }

cairn init "$T/p" >/dev/null
cd "$T/p"
DB=.cairn/catalog.db
echo alpha > a.txt
echo bravo > b.txt
a=$(cairn save a.txt --key data/a.txt)
b=$(cairn save b.txt --key data/b.txt)
cp "$DB" "$T/pristine.db"
# Going back to the pristine copy is a rollback, which this host's recorded
# head would report first (tests/cli/test_anchors.sh): each attack here
# starts from a host without one, so what it shows is the seals alone.
export XDG_STATE_HOME="$T/state"
restore() { rm -f "$DB-wal" "$DB-shm"; cp "$T/pristine.db" "$DB"; rm -rf "$XDG_STATE_HOME"; }

# attack NAME SQL... : after the SQL, loading data/a.txt (or $REF) and audit
# verify both exit 4 and nothing is written; load's error says $LOAD_SAYS
# (default: names the artifact) and verify reports $PROBLEM.
attack() {
    local name=$1; shift
    restore
    sql "$DB" "$@" >/dev/null
    rm -f out.txt
    expect_exit 4 "$name: load refuses" cairn load "${REF:-data/a.txt}" -o out.txt
    expect_err_contains "${LOAD_SAYS:-data/a.txt}"
    check_not "$name: nothing written" [ -e out.txt ]
    expect_exit 4 "$name: audit verify fails" cairn audit verify --json
    check "$name: verify reports ${PROBLEM:-artifact_mismatch}" \
        grep -q "\"problem\": \"${PROBLEM:-artifact_mismatch}\"" "$T/out"
}

expect_exit 0 "pristine: verify" cairn audit verify
check "pristine: verify counts the seals" grep -qF "2 artifacts match their seals" "$T/out"
expect_exit 0 "pristine: load" cairn load data/a.txt -o - 
check "pristine: content" [ "$(cat "$T/out")" = alpha ]

# The reproduction in the issue: two artifacts' keys swapped.
LOAD_SAYS="differs from what audit event" attack "keys swapped" \
    "UPDATE artifact SET key = 'tmp' WHERE uid = '$a'" \
    "UPDATE artifact SET key = 'data/a.txt' WHERE uid = '$b'" \
    "UPDATE artifact SET key = 'data/b.txt' WHERE uid = '$a'"
# Each sealed field on its own.
attack "version changed" "UPDATE artifact SET version = 7 WHERE uid = '$a'"
REF=data/a.txt@v7 attack "version changed (by version)" "UPDATE artifact SET version = 7 WHERE uid = '$a'"
attack "content hash changed" "UPDATE artifact SET hash = (SELECT hash FROM artifact WHERE uid = '$b') WHERE uid = '$a'"
attack "size changed" "UPDATE artifact SET size = size + 1 WHERE uid = '$a'"
attack "object swapped" \
    "UPDATE artifact SET object_name = (SELECT object_name FROM artifact WHERE uid = '$b') WHERE uid = '$a'"
LOAD_SAYS="wrapped data key" attack "wrapped keys swapped" \
    "UPDATE artifact SET wrapped_key = (SELECT wrapped_key FROM artifact WHERE uid = '$b') WHERE uid = '$a'"
attack "wrap MAC removed" "UPDATE artifact SET wrap_mac = NULL WHERE uid = '$a'"
attack "uid changed" "UPDATE artifact SET uid = 'zzzzzzzzzzzzzzzz' WHERE uid = '$a'"
LOAD_SAYS=yyyyyyyyyyyyyyyy attack "a row added outside cairn" \
    "UPDATE artifact SET is_latest = 0 WHERE uid = '$a'" \
    "INSERT INTO artifact (uid, key, version, is_latest, kind, hash, size, suffix, n_files, storage_id, object_name,
        stored_size, wrapped_key, key_id, state, created_by, created_at, wrap_mac)
     SELECT 'yyyyyyyyyyyyyyyy', key, 2, 1, kind, hash, size, suffix, n_files, storage_id, object_name, stored_size,
        wrapped_key, key_id, state, created_by, created_at, wrap_mac FROM artifact WHERE uid = '$a'"

# The index of events by uid is not chained: removing the sealing event's
# entry hides the seal from load, which then refuses, and verify sees the
# index no longer matches the log.
PROBLEM=target_index_mismatch attack "audit_target entry removed" "DELETE FROM audit_target WHERE uid = '$a'"
# The seal itself sits in the chained event: editing it to match an edited
# row breaks that event's MAC.
LOAD_SAYS="fails its chain MAC" PROBLEM=edited attack "row and seal edited together" \
    "UPDATE artifact SET size = size + 1 WHERE uid = '$a'" \
    "UPDATE audit_event SET seal = randomblob(32) WHERE seq = (SELECT MIN(seq) FROM audit_target WHERE uid = '$a')"
# Asking for a re-seal (the upgrade marker) does not launder an edited row:
# only rows no event seals are sealed.
attack "edited row, then the upgrade marker" \
    "UPDATE artifact SET size = size + 1 WHERE uid = '$a'" \
    "INSERT INTO instance_info (name, value) VALUES ('artifact_seals', 'pending')"

# A batch job with a write-only key (and the catalog and storage access
# every saving job has) replaces the content of an existing version: it
# saves its own content, then moves it into v1's row, keeping uid and version.
restore
cairn key export-write-only "$T/wo.key" >/dev/null
echo forged > f.txt
expect_exit 0 "write-only save" env CAIRN_KEY_FILE="$T/wo.key" "$CAIRN_BIN" save f.txt --key data/a.txt
sql "$DB" "UPDATE artifact SET (hash, size, object_name, stored_size, wrapped_key, key_id, wrap_mac) =
             (SELECT hash, size, object_name, stored_size, wrapped_key, key_id, wrap_mac FROM artifact
              WHERE key = 'data/a.txt' AND version = 2) WHERE uid = '$a'" \
          "DELETE FROM artifact WHERE key = 'data/a.txt' AND version = 2" \
          "UPDATE artifact SET is_latest = 1 WHERE uid = '$a'" >/dev/null
expect_exit 4 "forged v1: load refuses" cairn load data/a.txt@v1 -o out.txt
check_not "forged v1: nothing written" [ -e out.txt ]
expect_exit 4 "forged v1: audit verify fails" cairn audit verify

# The strongest attacker on one machine holds audit.key as well: the same
# forgery, then the seal and wrap MAC recomputed and the chain rewritten
# from that event on (tests/cli/rechain.py). The catalog alone now agrees
# with itself; this host's recorded head does not (docs/AUDIT.md, Anchors).
restore
expect_exit 0 "this host records its head" cairn ls
expect_exit 0 "write-only save, again" env CAIRN_KEY_FILE="$T/wo.key" "$CAIRN_BIN" save f.txt --key data/a.txt
python3 "$CAIRN_SOURCE_DIR/tests/cli/rechain.py" . --reseal "$a" \
    "UPDATE artifact SET (hash, size, object_name, stored_size, wrapped_key, key_id) =
       (SELECT hash, size, object_name, stored_size, wrapped_key, key_id FROM artifact
        WHERE key = 'data/a.txt' AND version = 2) WHERE uid = '$a'" \
    "DELETE FROM artifact WHERE key = 'data/a.txt' AND version = 2" \
    "UPDATE artifact SET is_latest = 1 WHERE uid = '$a'"
expect_exit 0 "rewritten trail: verify without anchors is fooled" \
    env XDG_STATE_HOME="$T/elsewhere" "$CAIRN_BIN" audit verify --no-storage
expect_exit 4 "rewritten trail: this host's head catches load" cairn load data/a.txt@v1 -o out.txt
expect_err_contains "recorded head"
check_not "rewritten trail: nothing written" [ -e out.txt ]
expect_exit 4 "rewritten trail: audit verify catches it" cairn audit verify

# An instance from before seals: its rows get sealed once, by the next
# command that writes. Simulated with the strongest attacker's tool
# (tests/cli/rechain.py recomputes the chain with audit.key): the save
# events lose their seal and the rows their MAC, as an older cairn wrote them.
restore
python3 "$CAIRN_SOURCE_DIR/tests/cli/rechain.py" . \
    "UPDATE audit_event SET seal = NULL" "UPDATE artifact SET wrap_mac = NULL" \
    "INSERT INTO instance_info (name, value) VALUES ('artifact_seals', 'pending')"
expect_exit 0 "verify before the upgrade step (read-only)" cairn audit verify
expect_err_contains "2 artifacts saved before seals"
expect_exit 0 "the first command seals old rows" cairn ls
expect_err_contains "sealed 2 artifacts"
check "two artifact.seal events" [ "$(sql "$DB" "SELECT COUNT(*) FROM audit_event WHERE action = 'artifact.seal' AND seal IS NOT NULL")" = 2 ]
check "the marker is gone" [ -z "$(sql "$DB" "SELECT value FROM instance_info WHERE name = 'artifact_seals'")" ]
expect_exit 0 "verify after sealing" cairn audit verify
check "verify counts the new seals" grep -qF "2 artifacts match their seals" "$T/out"
expect_exit 0 "old rows load" cairn load data/a.txt -o -
# ...and are protected from then on.
sql "$DB" "UPDATE artifact SET size = size + 1 WHERE uid = '$a'" >/dev/null
expect_exit 4 "an old row edited after sealing" cairn load data/a.txt -o -

# A rotation never launders a replaced wrapped key into a valid one.
restore
sql "$DB" "UPDATE artifact SET wrapped_key = (SELECT wrapped_key FROM artifact WHERE uid = '$b') WHERE uid = '$a'" >/dev/null
key_before=$(sql "$DB" "SELECT value FROM instance_info WHERE name = 'key_id'")
expect_exit 4 "rotation refuses a replaced wrapped key" cairn key rotate
expect_err_contains "nothing was rotated"
check "the key id is unchanged" [ "$(sql "$DB" "SELECT value FROM instance_info WHERE name = 'key_id'")" = "$key_before" ]

# Rotation renews the wrap MACs: everything still loads and verifies.
restore
expect_exit 0 "rotation" cairn key rotate
expect_exit 0 "load after rotation" cairn load data/b.txt -o -
check "content after rotation" [ "$(cat "$T/out")" = bravo ]
expect_exit 0 "verify after rotation" cairn audit verify

finish
