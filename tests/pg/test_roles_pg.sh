#!/usr/bin/env bash
# Least privilege where the catalog lives: init creates the database roles
# cairn_<db>_{reader,writer,purger,admin}; access grant --db-login puts a
# member's own PostgreSQL login in one; each login can then do through psql
# only what its role allows, and cairn run by it fails cleanly (exit 6) at
# anything more. Runs on a private throwaway PostgreSQL 15 cluster
# (pg_virtualenv), with one login per member and one that owns the schema.
set -euo pipefail
source "$(dirname "$0")/in_cluster.sh"
pg_port=$PGPORT
. "$(dirname "$0")/../cli/lib.sh"

# --- logins: the owner may create roles; the members may not ----------------
db=teamdb
psql -h 127.0.0.1 -p "$pg_port" -d postgres -qtAc "CREATE ROLE owner LOGIN CREATEROLE CREATEDB PASSWORD 'pw-owner'" >/dev/null
psql -h 127.0.0.1 -p "$pg_port" -d postgres -qtAc "CREATE DATABASE $db OWNER owner" >/dev/null
: > "$T/pgpass"
for login in owner ann bob cron ada eve; do
    [ "$login" = owner ] || psql -h 127.0.0.1 -p "$pg_port" -d postgres -qtAc \
        "CREATE ROLE $login LOGIN PASSWORD 'pw-$login'" >/dev/null
    printf '127.0.0.1:%s:*:%s:pw-%s\n' "$pg_port" "$login" "$login" >> "$T/pgpass"
done
super=$PGUSER
printf '127.0.0.1:%s:*:%s:%s\n' "$pg_port" "$super" "$PGPASSWORD" >> "$T/pgpass"
chmod 600 "$T/pgpass"
unset PGPASSWORD
export PGPASSFILE="$T/pgpass"
# The URL names no user: each command's login is PGUSER, as on each member's machine.
url="postgresql://127.0.0.1:$pg_port/$db?sslmode=disable"
as() { local login=$1; shift; env PGUSER="$login" "$@"; }
psql_as() { psql -h 127.0.0.1 -p "$pg_port" -U "$1" -d "$db" -qtAc "$2"; }
# Whether `login` is refused `sql` by the database's privileges.
denied() {
    if psql_as "$1" "$2" >"$T/psql.out" 2>&1; then fail "$1 was allowed: $2"
    elif grep -q "permission denied\|must be owner" "$T/psql.out"; then pass
    else fail "$1 refused for another reason: $(cat "$T/psql.out")"; fi
}
allowed() { if psql_as "$1" "$2" >"$T/psql.out" 2>&1; then pass; else fail "$1 was refused: $2: $(cat "$T/psql.out")"; fi; }

# --- init creates the roles ----------------------------------------------------
expect_exit 0 "init by the owner's login" as owner "$CAIRN_BIN" init "$T/team" --catalog "$url" --allow-plain-catalog
check "init names the roles it created" grep -q "cairn_teamdb_reader cairn_teamdb_writer cairn_teamdb_purger cairn_teamdb_admin" "$T/out"
check "four group roles that cannot log in" \
    test "$(psql_as owner "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'cairn_teamdb_%' AND NOT rolcanlogin")" = 4
cd "$T/team"
key_file=$(sed -n 's/^key_file: //p' .cairn/config.yaml)
for m in ann bob cron ada; do
    openssl genpkey -algorithm X25519 -out "$T/$m.pem" 2>/dev/null && chmod 600 "$T/$m.pem"
    openssl pkey -in "$T/$m.pem" -pubout -out "$T/$m.pub"
done
member() { local m=$1; shift; env PGUSER="$m" CAIRN_IDENTITY="$T/$m.pem" "$CAIRN_BIN" "$@"; }

# --- access grant --db-login -----------------------------------------------------
expect_exit 2 "a login that does not exist" as owner "$CAIRN_BIN" access grant ann --public-key "$T/ann.pub" --role reader --db-login nosuch
expect_err_contains "no database login named 'nosuch'"
check "and no member was granted" test "$(psql_as owner "SELECT count(*) FROM member")" = 0
expect_exit 0 "grant ann reader with her login" as owner "$CAIRN_BIN" access grant ann --public-key "$T/ann.pub" --role reader --db-login ann
check "ann's login joined the reader role" test "$(psql_as owner "SELECT pg_has_role('ann', 'cairn_teamdb_reader', 'member')")" = t
expect_exit 0 "grant bob writer" as owner "$CAIRN_BIN" access grant bob --public-key "$T/bob.pub" --role writer --db-login bob
expect_exit 0 "grant cron purger" as owner "$CAIRN_BIN" access grant cron --public-key "$T/cron.pub" --role purger --db-login cron
expect_exit 0 "grant ada admin" as owner "$CAIRN_BIN" access grant ada --public-key "$T/ada.pub" --role admin --db-login ada
expect_exit 0 "access ls --json shows the logins" as owner "$CAIRN_BIN" --json access ls
check "with ann's" grep -q '"db_login": *"ann"' "$T/out"

# --- each member does their job with their own login ----------------------------
printf 'raw data\n' > raw.txt
expect_exit 0 "bob saves" member bob save raw.txt --key data/raw
printf 'clean data\n' > clean.txt
expect_exit 0 "bob saves with lineage" member bob save clean.txt --key data/clean --from data/raw
expect_exit 0 "bob starts a run" member bob run start --transform clean.sh
run=$(head -1 "$T/out")
expect_exit 0 "bob loads its input" env CAIRN_RUN="$run" PGUSER=bob CAIRN_IDENTITY="$T/bob.pem" "$CAIRN_BIN" load data/raw -o in.txt
expect_exit 0 "bob saves its output" env CAIRN_RUN="$run" PGUSER=bob CAIRN_IDENTITY="$T/bob.pem" "$CAIRN_BIN" save in.txt --key out/result
expect_exit 0 "bob finishes the run" env CAIRN_RUN="$run" PGUSER=bob CAIRN_IDENTITY="$T/bob.pem" "$CAIRN_BIN" run finish
expect_exit 0 "ann loads" member ann load data/clean -o "$T/clean.back"
check "the bytes" same_file clean.txt "$T/clean.back"
expect_exit 0 "ann lists" member ann ls data/
expect_exit 0 "ann sees lineage" member ann lineage data/clean
expect_exit 0 "ann verifies the trail" member ann audit verify

# --- what the database refuses each login, whatever the client -------------------
for sql in "UPDATE artifact SET description = 'x'" "DELETE FROM artifact" "INSERT INTO member DEFAULT VALUES" \
    "UPDATE member SET role = 'admin' WHERE name = 'ann'" "UPDATE deletion_request SET state = 'cancelled'" \
    "DELETE FROM instance_info" "UPDATE audit_event SET actor = 'x'" "CREATE TABLE t (x int)"; do
    denied ann "$sql"
done
# instance_info: the one row any login may write is when a checkpoint was last published.
id_before=$(psql_as owner "SELECT value FROM instance_info WHERE name = 'instance_id'")
psql_as bob "UPDATE instance_info SET value = 'other' WHERE name = 'instance_id'" >/dev/null 2>&1 || true
check "bob's login cannot change the instance id (row-level security)" \
    test "$(psql_as owner "SELECT value FROM instance_info WHERE name = 'instance_id'")" = "$id_before"
if psql_as bob "INSERT INTO instance_info (name, value) VALUES ('audit_trail_x', 'optional')" >"$T/psql.out" 2>&1; then
    fail "bob inserted an instance setting"
else check "refused by row-level security" grep -q "row-level security" "$T/psql.out"; fi
allowed bob "UPDATE instance_info SET value = value WHERE name = 'audit_published_ms'"
for sql in "DELETE FROM artifact" "UPDATE member SET role = 'admin' WHERE name = 'bob'" \
    "INSERT INTO deletion_request DEFAULT VALUES" \
    "UPDATE audit_event SET actor = 'x'" "DELETE FROM audit_anchor" "DROP TABLE artifact"; do
    denied bob "$sql"
done
for sql in "INSERT INTO artifact DEFAULT VALUES" \
    "UPDATE member SET role = 'admin' WHERE name = 'cron'" "DELETE FROM artifact"; do
    denied cron "$sql"
done
denied eve "SELECT count(*) FROM artifact"
denied ada "ALTER TABLE audit_event DISABLE TRIGGER USER"
allowed ann "SELECT count(*) FROM artifact"
# Every login appends to the trail (a refused command is audited too); the
# triggers keep what it appended from being changed, even by an admin.
if psql_as ada "UPDATE audit_event SET actor = 'x' WHERE seq = 2" >"$T/psql.out" 2>&1; then fail "ada edited an event"
else check "ada's edit refused by the trail's guard" grep -q "append-only" "$T/psql.out"; fi

# --- cairn run by a narrow login fails cleanly ----------------------------------
before=$(find .cairn/storage -type f | wc -l)
expect_exit 6 "ann's login cannot save, even with the instance key file" \
    env PGUSER=ann CAIRN_KEY_FILE="$key_file" "$CAIRN_BIN" save raw.txt --key data/by-ann
expect_err_contains "permission denied"
check "no artifact row" test "$(psql_as owner "SELECT count(*) FROM artifact WHERE key = 'data/by-ann'")" = 0
check "no new object in storage" test "$(find .cairn/storage -type f | wc -l)" = "$before"
check "the refusal is in the trail" \
    test "$(psql_as owner "SELECT count(*) FROM audit_event WHERE action = 'save' AND result <> 'ok'")" -ge 1
expect_exit 6 "a login in no role cannot even list" env PGUSER=eve "$CAIRN_BIN" ls
expect_err_contains "permission denied"

# --- the purger purges; the admin revokes ------------------------------------------
expect_exit 0 "cron requests a purge" member cron purge request data/raw --grace 0 --reason test
expect_exit 0 "cron's purge run certifies" member cron purge run
check "the object went" test "$(psql_as owner "SELECT count(*) FROM artifact WHERE state = 'deleted'")" = 1
check "with a certificate" test "$(psql_as owner "SELECT count(*) FROM deletion_request WHERE certificate IS NOT NULL")" = 1
openssl genpkey -algorithm X25519 -out "$T/eve.pem" 2>/dev/null && chmod 600 "$T/eve.pem"
openssl pkey -in "$T/eve.pem" -pubout -out "$T/eve.pub"
expect_exit 6 "ada's login (admin role, no CREATEROLE) cannot make a login admin" \
    member ada access grant eve --public-key "$T/eve.pub" --role admin --db-login eve
check "and eve was not granted" test "$(psql_as owner "SELECT count(*) FROM member WHERE name = 'eve'")" = 0
expect_exit 0 "ada's login may make eve's a writer" member ada access grant eve --public-key "$T/eve.pub" --role writer --db-login eve
check "eve's login is in the writer role" test "$(psql_as owner "SELECT pg_has_role('eve', 'cairn_teamdb_writer', 'member')")" = t
expect_exit 0 "ada revokes ann" member ada access revoke ann
check "ann's login left the reader role" test "$(psql_as owner "SELECT pg_has_role('ann', 'cairn_teamdb_reader', 'member')")" = f
denied ann "SELECT count(*) FROM artifact"
expect_exit 6 "ann's login can no longer list" member ann ls
expect_exit 0 "the trail verifies after all of it" member ada audit verify

# --- what is refused before anything is made ---------------------------------------
mkdir -p "$T/solo"
expect_exit 0 "a SQLite instance" "$CAIRN_BIN" init "$T/solo"
expect_exit 2 "--db-login on SQLite" env -C "$T/solo" "$CAIRN_BIN" access grant bob --public-key "$T/bob.pub" --role writer --db-login bob
expect_err_contains "only for a PostgreSQL catalog"
psql -h 127.0.0.1 -p "$pg_port" -U owner -d postgres -qtAc "CREATE DATABASE teamdb2" >/dev/null
psql -h 127.0.0.1 -p "$pg_port" -U owner -d postgres -qtAc "CREATE ROLE cairn_teamdb2_writer NOLOGIN" >/dev/null
mkdir -p "$T/team2"
expect_exit 8 "a role left from another instance is not reused" \
    as owner "$CAIRN_BIN" init "$T/team2" --catalog "postgresql://127.0.0.1:$pg_port/teamdb2?sslmode=disable" --allow-plain-catalog
expect_err_contains "cairn_teamdb2_writer already exists"
check "nothing created" test ! -e "$T/team2/.cairn"
check "no schema left in the database" \
    test "$(psql -h 127.0.0.1 -p "$pg_port" -U owner -d teamdb2 -qtAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0
check "no role left" test "$(psql_as owner "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'cairn_teamdb2_%'")" = 1

# A login that may not create roles gets an instance without them, and is told.
psql -h 127.0.0.1 -p "$pg_port" -U "$super" -d postgres -qtAc "CREATE ROLE plain LOGIN PASSWORD 'pw-plain'" >/dev/null
psql -h 127.0.0.1 -p "$pg_port" -U "$super" -d postgres -qtAc "CREATE DATABASE plaindb OWNER plain" >/dev/null
printf '127.0.0.1:%s:*:plain:pw-plain\n' "$pg_port" >> "$T/pgpass"
mkdir -p "$T/plain"
expect_exit 0 "init by a login that may not create roles" \
    as plain "$CAIRN_BIN" init "$T/plain" --catalog "postgresql://127.0.0.1:$pg_port/plaindb?sslmode=disable" --allow-plain-catalog
expect_err_contains "database roles not created: this database login may not create roles"
check "and none were" test "$(psql_as owner "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'cairn_plaindb_%'")" = 0
# A database name too long for PostgreSQL's 63-byte role names.
long=d$(printf '%050d' 0)
psql -h 127.0.0.1 -p "$pg_port" -U owner -d postgres -qtAc "CREATE DATABASE $long" >/dev/null
mkdir -p "$T/long"
expect_exit 2 "a database name over 50 bytes, when roles would be made" \
    as owner "$CAIRN_BIN" init "$T/long" --catalog "postgresql://127.0.0.1:$pg_port/$long?sslmode=disable" --allow-plain-catalog
expect_err_contains "too long for cairn's role names"
check "nothing created" test ! -e "$T/long/.cairn"

echo "test_roles_pg: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
