#!/usr/bin/env bash
# cairn catalog migrate: an SQLite instance with history (versions, a
# folder, lineage, a member, a finished purge with its certificate) moves
# into a throwaway PostgreSQL 15 cluster (pg_virtualenv) with every row; the
# trail verifies there, a checkpoint taken before still verifies, the data
# loads, new saves continue the ids; and what it refuses leaves both sides
# as they were.
set -euo pipefail
source "$(dirname "$0")/in_cluster.sh"
pg_user=$PGUSER pg_port=$PGPORT pg_db=$PGDATABASE
. "$(dirname "$0")/../cli/lib.sh"
url="postgresql://$pg_user@127.0.0.1:$pg_port/$pg_db?sslmode=disable"
psql_q() { psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d "${2:-$pg_db}" -tAc "$1"; }
sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print('\n'.join('|'.join(map(str,x)) for x in r))" "$@"; }
tables="instance_info storage transform run artifact run_input pending_upload member deletion_request deletion_target local_copy audit_event audit_target audit_anchor"

# --- an SQLite instance with some history --------------------------------------
expect_exit 0 "init on SQLite" cairn init "$T/i"
cd "$T/i"
head -c 200000 /dev/urandom > raw.bin
expect_exit 0 "save" cairn save raw.bin --key data/raw
printf 'v1\n' > notes.txt; cairn save notes.txt --key data/notes >/dev/null
printf 'v2\n' > notes.txt; cairn save notes.txt --key data/notes >/dev/null
mkdir -p dir/sub; printf 'a\n' > dir/a.txt; printf 'b\n' > dir/sub/b.txt
expect_exit 0 "save a folder" cairn save dir --key data/dir
run=$(cairn run start --transform clean.sh | head -1)
CAIRN_RUN=$run cairn load data/raw -o in.bin >/dev/null
head -c 1000 in.bin > clean.bin
CAIRN_RUN=$run cairn save clean.bin --key data/clean >/dev/null
CAIRN_RUN=$run cairn run finish >/dev/null
openssl genpkey -algorithm X25519 -out "$T/rita.pem" 2>/dev/null && chmod 600 "$T/rita.pem"
openssl pkey -in "$T/rita.pem" -pubout -out "$T/rita.pub"
expect_exit 0 "grant a reader" cairn access grant rita --public-key "$T/rita.pub" --role reader
printf 'doomed\n' > doomed.txt; cairn save doomed.txt --key tmp/doomed >/dev/null
expect_exit 0 "purge request" cairn purge request tmp/doomed --grace 0 --reason test
expect_exit 0 "purge run (SQLite: a certificate)" cairn purge run
expect_exit 0 "checkpoint before the move" cairn audit checkpoint -o "$T/cp.json"
expect_exit 0 "the trail verifies before" cairn audit verify
declare -A before
for t in $tables; do before[$t]=$(sql .cairn/catalog.db "SELECT count(*) FROM $t"); done

# --- what is refused leaves both sides as they were ------------------------------
expect_exit 6 "a reader may not migrate" env CAIRN_IDENTITY="$T/rita.pem" "$CAIRN_BIN" catalog migrate --to "$url" --allow-plain-catalog
expect_exit 7 "a password in the URL" cairn catalog migrate --to "postgresql://$pg_user:pw@127.0.0.1:$pg_port/$pg_db?sslmode=disable" --allow-plain-catalog
expect_exit 7 "a plain connection without the flag" cairn catalog migrate --to "$url"
expect_exit 5 "verify-full by default (this server has no certificate)" \
    cairn catalog migrate --to "postgresql://$pg_user@127.0.0.1:$pg_port/$pg_db"
# A description that is not UTF-8: PostgreSQL refuses it, so the whole move is refused.
cairn save notes.txt --key data/latin1 --description "$(printf 'caf\xe9')" >/dev/null
expect_exit 2 "a row PostgreSQL cannot store" cairn catalog migrate --to "$url" --allow-plain-catalog
expect_err_contains "not valid UTF-8"
check "the database has no schema" test "$(psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0
check "the key objects it wrote are removed again" test -z "$(find .cairn/storage -name '*.key')"
check "the rows hold their wrapped keys again" \
    test "$(sql .cairn/catalog.db "SELECT count(*) FROM artifact WHERE wrapped_key IS NOT NULL AND length(wrapped_key) = 33")" = 0
check "config.yaml still names SQLite" test -z "$(grep 'url: postgresql' .cairn/config.yaml)"
check "catalog.db is still there" test -f .cairn/catalog.db
# (take the Latin-1 artifact out again: a purge, as a user would)
cairn purge request data/latin1 --grace 0 --reason utf8 >/dev/null && cairn purge run >/dev/null
psql_q "CREATE DATABASE taken" >/dev/null
expect_exit 0 "an instance in database 'taken'" \
    cairn init "$T/other" --catalog "postgresql://$pg_user@127.0.0.1:$pg_port/taken?sslmode=disable" --allow-plain-catalog
expect_exit 8 "a database that holds an instance" \
    cairn catalog migrate --to "postgresql://$pg_user@127.0.0.1:$pg_port/taken?sslmode=disable" --allow-plain-catalog
check "nothing of ours went there" test "$(psql_q "SELECT count(*) FROM artifact" taken)" = 0
# An edited event: the move is refused before anything is copied.
seq=$(sql .cairn/catalog.db "SELECT max(seq) FROM audit_event WHERE action = 'save'")
sql .cairn/catalog.db "UPDATE audit_event SET actor = 'mallory' WHERE seq = $seq" >/dev/null
expect_exit 4 "a trail that does not verify" cairn catalog migrate --to "$url" --allow-plain-catalog
check "still no schema in the database" test "$(psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0
actor=$(sql .cairn/catalog.db "SELECT actor FROM audit_event WHERE seq = 1")
sql .cairn/catalog.db "UPDATE audit_event SET actor = '$actor' WHERE seq = $seq" >/dev/null
expect_exit 0 "the trail verifies again" cairn audit verify
for t in $tables; do before[$t]=$(sql .cairn/catalog.db "SELECT count(*) FROM $t"); done

# --- the move ---------------------------------------------------------------------
wrapped_keys=$(sql .cairn/catalog.db "SELECT lower(hex(wrapped_key)) FROM artifact WHERE wrapped_key IS NOT NULL ORDER BY lower(hex(wrapped_key))")
expect_exit 0 "catalog migrate" cairn catalog migrate --to "$url" --allow-plain-catalog
check "it says it moved the $(grep -c . <<<"$wrapped_keys") wrapped keys into key objects" \
    grep -q "$(grep -c . <<<"$wrapped_keys") wrapped data keys moved into key objects" "$T/out"
check "the key objects hold exactly the wrapped keys the rows held" \
    test "$(for f in $(find .cairn/storage -name '*.key'); do od -An -v -tx1 "$f" | tr -d ' \n'; echo; done | sort)" = "$wrapped_keys"
check "every row in the database holds a key reference" \
    test "$(psql_q "SELECT count(*) FROM artifact WHERE wrapped_key IS NOT NULL AND (length(wrapped_key) <> 33 OR get_byte(wrapped_key, 0) <> 16)")" = 0
psql_q "CHECKPOINT" >/dev/null
check "no wrapped key entered the cluster's files (tables, WAL)" python3 - "$(psql_q "SHOW data_directory")" $wrapped_keys <<'PY'
import os, sys
root, needles = sys.argv[1], [bytes.fromhex(h) for h in sys.argv[2:]]
for d, _, files in os.walk(root):
    for f in files:
        try: data = open(os.path.join(d, f), 'rb').read()
        except OSError: continue
        if any(n in data for n in needles): sys.exit(1)
PY
check "it names the database roles it made" grep -q "cairn_${pg_db}_reader" "$T/out"
check "config.yaml names the database" grep -qF "url: $url" .cairn/config.yaml
check "catalog.db is retired" test ! -e .cairn/catalog.db -a -f .cairn/catalog.db.migrated
for t in $tables; do
    if [ "$t" = audit_event ]; then
        # every event, then the move's own (the checkpoint published from the new home comes after)
        got=$(psql_q "SELECT count(*) FROM audit_event WHERE seq <= (SELECT seq FROM audit_event WHERE action = 'catalog.migrate' AND result = 'ok')")
        check "$t: every row ($got, before ${before[$t]} + 1)" test "$got" = $((before[$t] + 1))
    elif [ "$t" = instance_info ]; then
        # every row, and audit_signed_from: the shared catalog signs the events after the move
        check "$t: every row and one more" test "$(psql_q "SELECT count(*) FROM $t")" = $((before[$t] + 1))
    else
        check "$t: every row" test "$(psql_q "SELECT count(*) FROM $t")" = "${before[$t]}"
    fi
done
check "the same chain head for the same event" test \
    "$(psql_q "SELECT encode(chain, 'hex') FROM audit_event WHERE action = 'catalog.migrate' AND result = 'ok'")" = \
    "$(sql .cairn/catalog.db.migrated "SELECT lower(hex(chain)) FROM audit_event WHERE action = 'catalog.migrate' AND result = 'ok'")"
# The independent reader (written from docs/FORMAT.md) follows the key
# references in the retired catalog to the key objects.
keyfile=$XDG_CONFIG_HOME/cairn/keys/$(sed -n "s/^instance_id: //p" .cairn/config.yaml).key
for k in data/raw data/dir; do
    check "the retired catalog's $k row holds a key reference" \
        test "$(sql .cairn/catalog.db.migrated "SELECT length(wrapped_key) || ' ' || hex(substr(wrapped_key, 1, 1)) FROM artifact WHERE key = '$k'")" = "33 10"
done
expect_exit 0 "the independent reader loads a file through its key object" \
    python3 "$CAIRN_SOURCE_DIR/tests/vectors/reader.py" --instance .cairn --catalog catalog.db.migrated --key data/raw --key-file "$keyfile" -o "$T/raw.reader"
check "the same bytes" same_file raw.bin "$T/raw.reader"
expect_exit 0 "and a folder" \
    python3 "$CAIRN_SOURCE_DIR/tests/vectors/reader.py" --instance .cairn --catalog catalog.db.migrated --key data/dir --key-file "$keyfile" -o "$T/dir.reader"
check "the same folder" diff -r dir "$T/dir.reader"
raw_key_object=.cairn/storage/$(psql_q "SELECT object_name || '.' || key_id || '.key' FROM artifact WHERE key = 'data/raw'")
cp "$raw_key_object" "$T/raw.key"
printf 'x' >> "$raw_key_object"
expect_exit 1 "the reader refuses a key object that does not match its reference" \
    python3 "$CAIRN_SOURCE_DIR/tests/vectors/reader.py" --instance .cairn --catalog catalog.db.migrated --key data/raw --key-file "$keyfile" -o "$T/raw.reader2"
expect_err_contains "does not match the row's key reference"
cp "$T/raw.key" "$raw_key_object"
expect_exit 0 "the trail verifies on PostgreSQL" cairn audit verify
expect_exit 0 "the checkpoint from before still verifies" cairn audit verify --checkpoint "$T/cp.json"
expect_exit 0 "load after the move" cairn load data/raw -o "$T/raw.back"
check "the same bytes" same_file raw.bin "$T/raw.back"
expect_exit 0 "load a folder" cairn load data/dir -o "$T/dir.back"
check "the folder" diff -r dir "$T/dir.back"
expect_exit 0 "the member still loads" env CAIRN_IDENTITY="$T/rita.pem" "$CAIRN_BIN" load data/notes -o "$T/notes.back"
check "the latest version" grep -q v2 "$T/notes.back"
expect_exit 0 "lineage after the move" cairn lineage data/clean
check "names the input" grep -q data/raw "$T/out"
check "the purges' certificates came along" \
    test "$(psql_q "SELECT count(*) FROM deletion_request WHERE state = 'done' AND certificate IS NOT NULL")" = 2
printf 'v3\n' > notes.txt
expect_exit 0 "a new save continues the ids" cairn save notes.txt --key data/notes
check "as version 3" test "$(psql_q "SELECT max(version) FROM artifact WHERE key = 'data/notes'")" = 3
expect_exit 0 "the trail verifies after new events" cairn audit verify
migrate_seq=$(psql_q "SELECT seq FROM audit_event WHERE action = 'catalog.migrate' AND result = 'ok'")
check "events are signed from the one after the move" \
    test "$(psql_q "SELECT value FROM instance_info WHERE name = 'audit_signed_from'")" = $((migrate_seq + 1))
check "every one of them is" test "$(psql_q "SELECT count(*) FROM audit_event WHERE seq > $migrate_seq AND signature IS NULL")" = 0
check "and some are" test "$(psql_q "SELECT count(*) FROM audit_event WHERE seq > $migrate_seq")" -gt 1
check "none before" test "$(psql_q "SELECT count(*) FROM audit_event WHERE seq <= $migrate_seq AND signature IS NOT NULL")" = 0
expect_exit 0 "purge request for a moved artifact" cairn purge request data/raw --grace 0 --reason test
expect_exit 0 "purge run certifies on PostgreSQL" cairn purge run
check "its certificate names the key object destroyed" \
    test "$(psql_q "SELECT certificate::json->'artifacts'->0->>'key_custody' FROM deletion_request WHERE reason = 'test' ORDER BY id DESC LIMIT 1")" = "key object"
expect_exit 2 "a second migrate" cairn catalog migrate --to "$url" --allow-plain-catalog
expect_err_contains "already in the PostgreSQL catalog"

echo "test_migrate_pg: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
