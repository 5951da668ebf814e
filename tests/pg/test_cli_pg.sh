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

# --- purge: objects go, the certificate waits for key custody ------------------
as_owner "UPDATE audit_event SET actor = (SELECT actor FROM audit_event WHERE seq = 1) WHERE seq = 2" >/dev/null
object=$(psql_q "SELECT object_name FROM artifact WHERE key = 'data/raw'")
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
expect_exit 9 "purge run stays incomplete on PostgreSQL" cairn purge run
expect_err_contains "write-ahead log"
check "the object is gone from storage" test ! -e "$T/p/.cairn/storage/$object"
check "the wrapped key is shredded in the row" test "$(psql_q "SELECT count(*) FROM artifact WHERE key IS NULL AND wrapped_key IS NULL AND state = 'deleted'")" = 1
check "no certificate" test "$(psql_q "SELECT count(*) FROM deletion_request WHERE certificate IS NOT NULL")" = 0

echo "test_cli_pg: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
