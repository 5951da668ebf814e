#!/usr/bin/env bash
# Issue 14 items 4 and 5: a key can never pass for a uid, and only init
# creates a catalog: an empty, foreign or missing catalog is an error that
# changes nothing, never a fresh instance.
source "$(dirname "$0")/lib.sh"

sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print('\n'.join('|'.join(map(str,x)) for x in r))" "$@"; }

cairn init "$T/p" >/dev/null
cd "$T/p"
DB=.cairn/catalog.db
echo victim > v.txt
victim=$(cairn save v.txt --key people/victim.txt)

# --- Keys of a uid's form are refused --------------------------------------
echo mine > m.txt
expect_exit 2 "a key shaped like a uid is refused" cairn save m.txt --key "$victim"
expect_err_contains "has the form of an artifact uid"
check "nothing saved" [ "$(sql "$DB" "SELECT COUNT(*) FROM artifact")" = 1 ]
expect_exit 0 "a uid-like key with an extension is fine" cairn save m.txt --key "$victim.txt"
# A key saved by an older cairn that equals another artifact's uid: the uid
# is never silently taken, nor the key.
sql "$DB" "UPDATE artifact SET key = '$victim' WHERE key = '$victim.txt'"
expect_exit 2 "load of an ambiguous ref" cairn load "$victim" -o out.txt
expect_err_contains "is both an artifact uid and a key"
check_not "nothing written" [ -e out.txt ]
expect_exit 2 "purge request of an ambiguous ref" cairn purge request "$victim" --grace 0
check "nothing requested" [ "$(sql "$DB" "SELECT COUNT(*) FROM deletion_request")" = 0 ]
# Renaming a row in catalog.db is itself caught: its save sealed the old key.
expect_exit 4 "the renamed row by version" cairn load "$victim@v1" -o -
expect_err_contains "differs from what audit event"
sql "$DB" "UPDATE artifact SET key = '$victim.txt' WHERE key = '$victim'"
expect_exit 0 "the key by version, renamed back" cairn load "$victim.txt@v1" -o -
check "key@v1 is the key's artifact" [ "$(cat "$T/out")" = mine ]

# --- No silent reset --------------------------------------------------------
cp "$DB" "$T/good.db"
cp .cairn/config.yaml "$T/good.yaml"
: > "$DB"
rm -f "$DB-wal" "$DB-shm"
expect_exit 4 "an empty catalog" cairn ls
expect_err_contains "is empty (0 bytes)"
check "still empty: not re-created" [ ! -s "$DB" ]
expect_exit 4 "audit verify on an empty catalog" cairn audit verify
check "still empty after audit verify" [ ! -s "$DB" ]
expect_exit 4 "save into an empty catalog" cairn save v.txt --key x.txt
check "still empty after save" [ ! -s "$DB" ]

python3 -c "import sqlite3; sqlite3.connect('$DB').execute('CREATE TABLE t(x)')"
expect_exit 4 "a foreign SQLite database" cairn ls
expect_err_contains "is not a cairn catalog"
check "the foreign database was left alone" [ "$(sql "$DB" "SELECT name FROM sqlite_master")" = t ]

cairn init "$T/other" >/dev/null
cp "$T/other/.cairn/catalog.db" "$DB"
rm -f "$DB-wal" "$DB-shm"
expect_exit 4 "another instance's catalog" cairn ls
expect_err_contains "belongs to instance"

rm "$DB"
expect_exit 7 "a missing catalog" cairn ls
check_not "not re-created" [ -e "$DB" ]

cp "$T/good.db" "$DB"
expect_exit 0 "the real catalog back" cairn ls

# --- audit verify is read-only (issue 14 item 7) ----------------------------
n=$(sql "$DB" "SELECT COUNT(*) FROM audit_event")
expect_exit 0 "verify" cairn audit verify
check "verify wrote no event" [ "$(sql "$DB" "SELECT COUNT(*) FROM audit_event")" = "$n" ]
# An auditor's copy nobody may write: verify still works and changes nothing.
mkdir "$T/ro" && cp -a .cairn "$T/ro/.cairn"
chown -R 65534:65534 "$T/ro" && chmod -R a-w "$T/ro" && chmod 755 "$T"
sum_before=$(cd "$T/ro" && find . -type f | sort | xargs sha256sum)
expect_exit 0 "verify of a read-only copy as another account" \
    setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent "$CAIRN_BIN" --instance "$T/ro" audit verify --no-storage
check "read-only copy unchanged, no -shm or -wal added" [ "$(cd "$T/ro" && find . -type f | sort | xargs sha256sum)" = "$sum_before" ]
# A copy an older cairn wrote (an older schema version) cannot be upgraded
# read-only: a clear config error (exit 7), not a failed query.
mkdir "$T/ro-old" && cp -a .cairn "$T/ro-old/.cairn"
sql "$T/ro-old/.cairn/catalog.db" "PRAGMA user_version = 4" >/dev/null
chmod -R a-w "$T/ro-old/.cairn"
expect_exit 7 "verify of a read-only copy with an older schema" cairn --instance "$T/ro-old" audit verify --no-storage
expect_err_contains "a read-only open cannot upgrade it"
chmod -R u+w "$T/ro-old"
# A tampered trail gets nothing appended, not even the failure.
sql "$DB" "UPDATE audit_event SET action = 'forged' WHERE seq = 2"
expect_exit 4 "verify of an edited trail" cairn audit verify
check "nothing appended to the failed trail" [ "$(sql "$DB" "SELECT COUNT(*) FROM audit_event")" = "$n" ]
cp "$T/good.db" "$DB"
rm -f "$DB-wal" "$DB-shm"
# good.db is older than what this host has seen since: a rollback (test_anchors.sh).
expect_exit 4 "the restored older catalog is a rollback to this host" cairn ls
expect_err_contains "rolled back"
# What follows tests the catalog and keys alone: forget this host's head.
rm -r "$XDG_STATE_HOME/cairn/heads"

# Deleting the trail and its keys does not start a fresh one.
cp -a .cairn "$T/good.cairn"
mv .cairn/audit.key "$T/audit.key"
expect_exit 4 "a missing audit key" cairn ls
expect_err_contains "audit key"
check_not "no new audit key" [ -e .cairn/audit.key ]
mv "$T/audit.key" .cairn/audit.key
sql "$DB" "DELETE FROM audit_event"
expect_exit 4 "an emptied trail" cairn ls
expect_err_contains "its events were deleted"
check "no fresh trail started" [ "$(sql "$DB" "SELECT COUNT(*) FROM audit_event")" = 0 ]
rm .cairn/audit.key .cairn/audit-sign.key .cairn/audit-sign.pub
expect_exit 4 "an emptied trail without its keys" cairn save v.txt --key y.txt
check_not "keys not re-created" [ -e .cairn/audit.key ]
check "nothing saved" [ "$(sql "$DB" "SELECT COUNT(*) FROM artifact WHERE key = 'y.txt'")" = 0 ]
finish
