#!/usr/bin/env bash
# The CLI with its catalog in PostgreSQL: init --catalog, save, load, ls,
# lineage, audit and purge against a private throwaway PostgreSQL 15 cluster
# (Debian's pg_virtualenv: a temporary directory, a free loopback port,
# dropped at the end), and what init refuses (a password in the URL, a
# plain connection without the flag, a second instance in one database).
set -euo pipefail
source "$(dirname "$0")/in_cluster.sh"
pg_user=$PGUSER pg_port=$PGPORT pg_db=$PGDATABASE
. "$(dirname "$0")/../cli/lib.sh"
# libpq finds the password in PGPASSWORD (set by pg_virtualenv), never in the URL.
url="postgresql://$pg_user@127.0.0.1:$pg_port/$pg_db?sslmode=disable"
psql_q() { psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d "$pg_db" -tAc "$1"; }

# --- what init refuses, before anything is created --------------------------
mkdir -p "$T/p0"
expect_exit 7 "plain connection without --allow-plain-catalog" cairn init "$T/p0" --catalog "$url"
expect_err_contains "sslmode=disable does not verify the server"
check "nothing created after a refused init" test ! -e "$T/p0/.cairn"
expect_exit 7 "a password in the URL" \
    cairn init "$T/p0" --catalog "postgresql://$pg_user:hunter2@127.0.0.1:$pg_port/$pg_db?sslmode=disable" --allow-plain-catalog
expect_err_contains "holds a password"
check_not "the password is not echoed" grep -q hunter2 "$T/err"
expect_exit 7 "plain connection to another machine, even with the flag" \
    cairn init "$T/p0" --catalog "postgresql://$pg_user@db.example.com:$pg_port/$pg_db?sslmode=disable" --allow-plain-catalog
expect_exit 7 "not a PostgreSQL URL" cairn init "$T/p0" --catalog "mysql://127.0.0.1/x" --allow-plain-catalog
check "still nothing created" test ! -e "$T/p0/.cairn"
# Without an sslmode, cairn asks libpq for verify-full: this throwaway server
# has no certificate a client could verify, so the connection is refused.
expect_exit 5 "TLS with a verified certificate by default" \
    cairn init "$T/p0" --catalog "postgresql://$pg_user@127.0.0.1:$pg_port/$pg_db"
expect_err_contains "cannot connect to the PostgreSQL catalog"
check "nothing created after a refused connection" test ! -e "$T/p0/.cairn"

# --- init, save, load, ls, lineage -------------------------------------------
expect_exit 0 "init with the catalog in PostgreSQL" cairn init "$T/p" --catalog "$url" --allow-plain-catalog
check "config.yaml names the catalog" grep -qF "url: $url" "$T/p/.cairn/config.yaml"
check "no catalog.db beside it" test ! -e "$T/p/.cairn/catalog.db"
check "the schema is in PostgreSQL" test "$(psql_q "SELECT value FROM instance_info WHERE name = 'instance_id'")" = \
    "$(sed -n 's/^instance_id: //p' "$T/p/.cairn/config.yaml")"
cd "$T/p"
head -c 300000 /dev/urandom > raw.bin
expect_exit 0 "save" cairn save raw.bin --key data/raw
printf 'derived\n' > clean.txt
expect_exit 0 "save --from" cairn save clean.txt --key data/clean --from data/raw
expect_exit 0 "load" cairn load data/raw -o "$T/back.bin"
check "load gives the bytes back" same_file raw.bin "$T/back.bin"
expect_exit 0 "ls" cairn ls data/
check "ls lists both keys" grep -q "data/clean" "$T/out"
expect_exit 0 "lineage" cairn lineage data/clean
check "lineage shows the input" grep -q "data/raw" "$T/out"
check "artifact rows are in PostgreSQL" test "$(psql_q "SELECT count(*) FROM artifact")" = 2

# --- a file name that is not UTF-8 (PostgreSQL stores only UTF-8 text) -------
latin1=$(printf 'caf\xe9.bin')
printf 'latin-1 name\n' > "$latin1"
expect_exit 0 "save a file whose name is not UTF-8" cairn save "$latin1" --key data/latin1
check "its event's command line is the \$'...' form" \
    test "$(psql_q "SELECT count(*) FROM audit_event WHERE strpos(command_line, '\$''caf\\xe9.bin''') > 0")" = 1
expect_exit 0 "ls with a prefix that is not UTF-8 finds nothing" cairn ls "$(printf 'data/\xff')"
check "and lists nothing" test ! -s "$T/out"
expect_exit 2 "other text that is not UTF-8 (a description) is refused" \
    cairn save clean.txt --key data/desc --description "$(printf 'd\xff')"
expect_err_contains "not valid UTF-8"
check "and nothing of it was saved" test "$(psql_q "SELECT count(*) FROM artifact WHERE key = 'data/desc'")" = 0
expect_exit 0 "audit verify after both" cairn audit verify

# --- the password comes from libpq's own files --------------------------------
printf '127.0.0.1:%s:%s:%s:%s\n' "$pg_port" "$pg_db" "$pg_user" "$PGPASSWORD" > "$T/pgpass"
chmod 600 "$T/pgpass"
expect_exit 0 "PGPASSFILE instead of PGPASSWORD" env -u PGPASSWORD PGPASSFILE="$T/pgpass" "$CAIRN_BIN" ls data/
expect_exit 5 "no password anywhere: refused" env -u PGPASSWORD PGPASSFILE=/dev/null "$CAIRN_BIN" ls data/
expect_err_contains "cannot connect to the PostgreSQL catalog"

# --- concurrent writers: one version each, a linear trail ---------------------
for i in $(seq 8); do (printf 'v%s\n' "$i" > "$T/c$i"; cairn save "$T/c$i" --key data/shared >/dev/null 2>"$T/c$i.err") & done
wait
check "8 concurrent saves made versions 1..8" \
    test "$(psql_q "SELECT string_agg(version::text, ',' ORDER BY version) FROM artifact WHERE key = 'data/shared'")" = "1,2,3,4,5,6,7,8"
check "seq stays contiguous" test "$(psql_q "SELECT max(seq) - count(*) FROM audit_event")" = 0
expect_exit 0 "audit verify" cairn audit verify

# --- one instance per database ------------------------------------------------
mkdir -p "$T/q"
expect_exit 8 "a second init into the same database" cairn init "$T/q" --catalog "$url" --allow-plain-catalog
expect_err_contains "already holds instance"

# --- the trail is checked where it lives --------------------------------------
# The database refuses edits and deletions of events from any login, even a
# superuser's (triggers); only the owner can switch them off, and then
# audit verify finds the edit.
for edit in "UPDATE audit_event SET actor = 'mallory' WHERE seq = 2" \
    "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)" "TRUNCATE audit_event CASCADE" \
    "DELETE FROM audit_target"; do
    if psql_q "$edit" >"$T/psql.out" 2>&1; then fail "the database allowed: $edit"
    elif grep -q "append-only\|may not be deleted\|is refused" "$T/psql.out"; then pass
    else fail "refused for another reason: $(cat "$T/psql.out")"; fi
done
as_owner() { psql_q "ALTER TABLE audit_event DISABLE TRIGGER USER; $1; ALTER TABLE audit_event ENABLE TRIGGER USER"; }
as_owner "UPDATE audit_event SET actor = 'mallory' WHERE seq = 2" >/dev/null
expect_exit 4 "audit verify finds an event edited in the database" cairn audit verify
expect_out_contains() { if grep -qF -- "$1" "$T/out" "$T/err"; then pass; else fail "output lacks '$1'"; fi; }
expect_out_contains "seq 2"

# --- key custody: wrapped keys live in key objects, never in the database --------
as_owner "UPDATE audit_event SET actor = (SELECT actor FROM audit_event WHERE seq = 1) WHERE seq = 2" >/dev/null
object=$(psql_q "SELECT object_name FROM artifact WHERE key = 'data/raw'")
key_id=$(psql_q "SELECT key_id FROM artifact WHERE key = 'data/raw'")
key_object="$T/p/.cairn/storage/$object.$key_id.key"
clean_key_object="$T/p/.cairn/storage/$(psql_q "SELECT object_name || '.' || key_id || '.key' FROM artifact WHERE key = 'data/clean'")"
check "the wrapped key is a key object in storage" test -s "$key_object"
check "every row holds a 33-byte key reference, not a wrapped key" \
    test "$(psql_q "SELECT count(*) FROM artifact WHERE wrapped_key IS NULL OR length(wrapped_key) <> 33 OR get_byte(wrapped_key, 0) <> 16")" = 0
check "the reference is the key object's SHA-256" \
    test "$(psql_q "SELECT encode(substring(wrapped_key from 2), 'hex') FROM artifact WHERE key = 'data/raw'")" = \
    "$(sha256sum < "$key_object" | cut -d' ' -f1)"
# Read every file of the cluster (tables, WAL) as an attacker with a backup
# would: no key object's bytes are there; the control (the reference's
# digest, which is in the rows) shows the scan sees row bytes.
datadir=$(psql_q "SHOW data_directory")
psql_q "CHECKPOINT" >/dev/null
scan_cluster() { # HEX... -> how many of them occur in some file of the cluster
    python3 - "$datadir" "$@" <<'PY'
import os, sys
root, needles = sys.argv[1], [bytes.fromhex(h) for h in sys.argv[2:]]
found = set()
for d, _, files in os.walk(root):
    for f in files:
        try: data = open(os.path.join(d, f), 'rb').read()
        except OSError: continue
        found.update(n for n in needles if n in data)
print(len(found))
PY
}
keys_hex=$(for f in "$T"/p/.cairn/storage/objects/*/*.key; do od -An -v -tx1 "$f" | tr -d ' \n'; echo; done)
check "the cluster's files hold none of the $(echo "$keys_hex" | wc -l) wrapped keys" test "$(scan_cluster $keys_hex)" = 0
check "control: the cluster's files hold the key reference" \
    test "$(scan_cluster "$(psql_q "SELECT encode(substring(wrapped_key from 2), 'hex') FROM artifact WHERE key = 'data/raw'")")" = 1

# A key object replaced or removed in storage: nothing is decrypted (exit 4).
cp "$key_object" "$T/key.saved"
cp "$clean_key_object" "$key_object"
expect_exit 4 "load with another artifact's key object in place" cairn load data/raw -o "$T/swapped.bin"
expect_err_contains "is not the one the catalog recorded"
check "nothing was written" test ! -e "$T/swapped.bin"
rm "$key_object"
expect_exit 4 "load with the key object gone" cairn load data/raw -o "$T/gone.bin"
expect_err_contains "is missing"
cp "$T/key.saved" "$key_object"
expect_exit 0 "load again once it is back" cairn load data/raw -o "$T/back2.bin"
check "the same bytes" same_file raw.bin "$T/back2.bin"

# A row as a cairn without key objects (schema 7) saved it on PostgreSQL:
# the wrapped key in the row, with its wrap MAC, and no key object.
clean_uid=$(psql_q "SELECT uid FROM artifact WHERE key = 'data/clean'")
psql_q "$(python3 "$CAIRN_SOURCE_DIR/tests/pg/key_into_row.py" "$T/p/.cairn/audit.key" "$clean_uid" "$key_id" "$clean_key_object")" >/dev/null
rm "$clean_key_object"
check "data/clean's wrapped key is in its row" \
    test "$(psql_q "SELECT length(wrapped_key) FROM artifact WHERE key = 'data/clean'")" = "$(stat -c %s "$T/key.saved")"
expect_exit 0 "such a row still loads" cairn load data/clean -o "$T/clean.back"
check "its bytes" same_file clean.txt "$T/clean.back"

# Rotation writes each key object anew under the new key id and removes the
# old; a key still in its row moves into a key object.
pending_before=$(psql_q "SELECT count(*) FROM pending_upload")
expect_exit 0 "key rotate" cairn key rotate
new_key_id=$(psql_q "SELECT key_id FROM artifact WHERE key = 'data/raw'")
check "the key id changed" test "$new_key_id" != "$key_id"
check "the old key object is gone" test ! -e "$key_object"
key_object="$T/p/.cairn/storage/$object.$new_key_id.key"
check "the new one is there" test -s "$key_object"
# (The save refused for its description left its upload to cleanup_leftovers:
# a pending upload each for its object and key object.)
left=$(find "$T/p/.cairn/storage" -name "*.$key_id.key" | sed "s|^$T/p/.cairn/storage/||" | sort)
check "no key object under the old key id is left but the refused save's" \
    test "$left" = "$(psql_q "SELECT object_name FROM pending_upload WHERE object_name LIKE '%.key' ORDER BY object_name")"
check "the rotation left no pending upload of its own" test "$(psql_q "SELECT count(*) FROM pending_upload")" = "$pending_before"
expect_exit 0 "load after the rotation" cairn load data/raw -o "$T/back3.bin"
check "the same bytes" same_file raw.bin "$T/back3.bin"
check "data/clean's key moved out of its row" \
    test "$(psql_q "SELECT length(wrapped_key) || ' ' || get_byte(wrapped_key, 0) FROM artifact WHERE key = 'data/clean'")" = "33 16"
check "into a key object under the new key id" \
    test -s "$T/p/.cairn/storage/$(psql_q "SELECT object_name FROM artifact WHERE key = 'data/clean'").$new_key_id.key"
expect_exit 0 "and it loads from there" cairn load data/clean -o "$T/clean.back2"
check "its bytes" same_file clean.txt "$T/clean.back2"

# --- purge: data and key object go, and the certificate says so ---------------
expect_exit 0 "purge request" cairn purge request data/raw --grace 0 --reason test
# One purge run at a time across machines: another session holding the
# catalog's purge lock (as a run on another machine would) stops this one.
psql_q "SELECT pg_advisory_lock(1667330419), pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
lock_held() { test "$(psql_q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 1667330419 AND granted")" = 1; }
wait_until "the other session holds the purge lock" 10 lock_held
expect_exit 8 "purge run while a run elsewhere holds the catalog's purge lock" cairn purge run
expect_err_contains "another purge run is in progress on a machine sharing the PostgreSQL catalog"
check "nothing was purged meanwhile" test -e "$T/p/.cairn/storage/$object"
psql_q "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 1667330419" >/dev/null
wait "$holder" || true
expect_exit 0 "purge run certifies on PostgreSQL" cairn purge run
check "the object is gone from storage" test ! -e "$T/p/.cairn/storage/$object"
check "its key object is gone from storage" test ! -e "$key_object"
check "the other artifacts' key objects stay" \
    test -s "$T/p/.cairn/storage/$(psql_q "SELECT object_name || '.' || key_id || '.key' FROM artifact WHERE key = 'data/clean'")"
check "the key reference is erased from the row" test "$(psql_q "SELECT count(*) FROM artifact WHERE key IS NULL AND wrapped_key IS NULL AND state = 'deleted'")" = 1
cert=$(psql_q "SELECT certificate FROM deletion_request WHERE certificate IS NOT NULL")
check "a certificate" test -n "$cert"
check "it names the key object destroyed" \
    python3 -c 'import json,sys; a=json.loads(sys.argv[1])["artifacts"][0]; sys.exit(not (a["key_custody"] == "key object" and a["key_object"] == sys.argv[2]))' \
    "$cert" "$object.$new_key_id.key"
expect_exit 0 "audit verify after the purge" cairn audit verify

echo "test_cli_pg: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
