#!/usr/bin/env bash
# Issue 14 item 6: anchors outside the instance. This host's recorded head
# ($XDG_STATE_HOME/cairn/heads) exposes a truncated, rolled-back, replaced or
# re-keyed trail at the next command; checkpoints published write-once to
# storage expose a rollback even where the host state is gone; a redaction
# no purge made is reported.
source "$(dirname "$0")/lib.sh"

sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print('\n'.join('|'.join(map(str,x)) for x in r))" "$@"; }
head_file() { echo "$XDG_STATE_HOME/cairn/heads/$(python3 -c 'import hashlib,os,sys; print(hashlib.sha256(os.path.realpath(sys.argv[1]).encode()).hexdigest())' "$1").json"; }
head_seq() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$1"; }
mode_of() { stat -c %a "$1"; }
problem() { python3 -c 'import json,sys; r=json.load(sys.stdin); print(r.get("problem"))'; }

# Storage outside .cairn: a rollback of .cairn leaves the published checkpoints.
cairn init "$T/p" --storage "$T/store" >/dev/null
cd "$T/p"
DB=.cairn/catalog.db
HEAD=$(head_file .cairn)
echo one > one.txt
expect_exit 0 "save" cairn save one.txt --key a/one.txt

# --- The head is recorded outside the instance ------------------------------
check "head file written" [ -f "$HEAD" ]
check "head file is 0600" [ "$(mode_of "$HEAD")" = 600 ]
check "heads dir is 0700" [ "$(mode_of "$(dirname "$HEAD")")" = 700 ]
check "head seq is the newest seq" [ "$(head_seq "$HEAD")" = "$(sql "$DB" "SELECT MAX(seq) FROM audit_event")" ]
check "head names the instance" grep -q "\"instance_dir\": \"$(realpath .cairn)\"" "$HEAD"
# Whatever the umask, the folders and the file are private.
rm -rf "$XDG_STATE_HOME"
expect_exit 0 "ls under umask 000" sh -c 'umask 000; exec "$0" ls' "$CAIRN_BIN"
check "head file 0600 under umask 000" [ "$(mode_of "$HEAD")" = 600 ]
check "cairn state dir 0700 under umask 000" [ "$(mode_of "$XDG_STATE_HOME/cairn")" = 700 ]
check "heads dir 0700 under umask 000" [ "$(mode_of "$(dirname "$HEAD")")" = 700 ]

# --- verify reads the head and never writes it -------------------------------
before=$(sha256sum < "$HEAD")
expect_exit 0 "verify" cairn audit verify
check "verify reports the host head" grep -q "host head: seq $(head_seq "$HEAD") recorded here matches" "$T/out"
check "verify left the head file alone" [ "$(sha256sum < "$HEAD")" = "$before" ]
mkdir "$T/ro" && cp -a .cairn "$T/ro/.cairn"
expect_exit 0 "verify of a copy with fresh state" env XDG_STATE_HOME="$T/fresh-state" "$CAIRN_BIN" --instance "$T/ro" audit verify
check "verify of the copy wrote no head" [ ! -e "$T/fresh-state" ]
check "verify says no head is recorded there" grep -q "host head: none recorded on this host" "$T/out"

# --- Truncated tail ------------------------------------------------------------
expect_exit 0 "ls" cairn ls
cp "$DB" "$T/good.db"
recorded=$(head_seq "$HEAD")
sql "$DB" "DELETE FROM audit_event WHERE seq > $((recorded - 2))"
expect_exit 4 "a truncated tail is refused at the next command" cairn ls
expect_err_contains "truncated"
expect_err_contains "recorded seq $recorded, found seq $((recorded - 2))"
expect_err_contains "$HEAD"
expect_exit 4 "audit verify reports the truncation" cairn audit verify --json
check "verify: problem truncated" [ "$(problem < "$T/out")" = truncated ]
check "nothing appended to the truncated trail" [ "$(sql "$DB" "SELECT MAX(seq) FROM audit_event")" = $((recorded - 2)) ]
check "the head did not move back" [ "$(head_seq "$HEAD")" = "$recorded" ]
rm -f "$DB-wal" "$DB-shm" && cp "$T/good.db" "$DB"
expect_exit 0 "the full trail is accepted again" cairn ls

# --- Rewritten event at the recorded seq ---------------------------------------
cp "$DB" "$T/good.db"
sql "$DB" "UPDATE audit_event SET chain = zeroblob(32) WHERE seq = (SELECT MAX(seq) FROM audit_event)"
expect_exit 4 "a rewritten head event" cairn ls
expect_err_contains "head_mismatch"
rm -f "$DB-wal" "$DB-shm" && cp "$T/good.db" "$DB"

# --- Rollback to an older copy of .cairn -----------------------------------------
cp -a .cairn "$T/snap"
expect_exit 0 "more work" cairn save one.txt --key a/two.txt
expect_exit 0 "and more" cairn ls
cp -a .cairn "$T/newer"
rm -rf .cairn && cp -a "$T/snap" .cairn
expect_exit 4 "a restored older copy is refused" cairn ls
expect_err_contains "rolled back"
expect_exit 4 "audit verify on the restored copy" cairn audit verify
rm -rf .cairn && cp -a "$T/newer" .cairn
expect_exit 0 "the newest copy is accepted" cairn ls

# --- Wipe and restart -------------------------------------------------------------
mv .cairn "$T/keep"
expect_exit 8 "init where this host recorded another instance" cairn init . --storage "$T/store2"
expect_err_contains "--replace-instance"
check_not "no instance created" [ -e .cairn ]
cairn init "$T/q" --storage "$T/qstore" >/dev/null
cp -a "$T/q/.cairn" .cairn
expect_exit 4 "another instance moved in place" cairn ls
expect_err_contains "instance_replaced"
expect_exit 4 "audit verify names it" cairn audit verify --json
check "verify: problem instance_replaced" [ "$(problem < "$T/out")" = instance_replaced ]
rm -rf .cairn && mv "$T/keep" .cairn
expect_exit 0 "the real instance back" cairn ls

# --- Replaced audit keys -------------------------------------------------------------
mkdir "$T/keys" && cp -a .cairn/audit-sign.key .cairn/audit-sign.pub "$T/keys/"
cp "$T/q/.cairn/audit-sign.key" "$T/q/.cairn/audit-sign.pub" .cairn/
expect_exit 4 "replaced audit signing keys" cairn ls
expect_err_contains "keys_replaced"
cp -a "$T/keys/audit-sign.key" "$T/keys/audit-sign.pub" .cairn/
expect_exit 0 "the real keys back" cairn ls

# --- Published checkpoints -----------------------------------------------------------
CPS="$T/store/audit/checkpoints"
check_not "nothing published before it is due" [ -e "$CPS" ]
cp -a .cairn "$T/before-publish"
expect_exit 0 "purge run publishes a checkpoint" cairn purge run
check "one checkpoint published" [ "$(find "$CPS" -type f | wc -l)" = 1 ]
first=$(find "$CPS" -type f)
check "checkpoint name: 20-digit count, short hash" bash -c '[[ "$(basename "$1")" =~ ^[0-9]{20}-[0-9a-f]{16}\.json$ ]]' _ "$first"
check "checkpoint file is read-only (0444)" [ "$(mode_of "$first")" = 444 ]
check "checkpoint is signed JSON" python3 -c "import json,sys; c=json.load(open(sys.argv[1])); assert len(c['signature'])==128" "$first"
check "the publish is in the trail" [ "$(sql "$DB" "SELECT COUNT(*) FROM audit_event WHERE action = 'audit.publish' AND result = 'ok'")" = 1 ]
first_sum=$(sha256sum < "$first")
expect_exit 0 "a second purge run publishes again" cairn purge run
check "a second checkpoint beside the first" [ "$(find "$CPS" -type f | wc -l)" = 2 ]
check "the first is unchanged" [ "$(sha256sum < "$first")" = "$first_sum" ]
# Daily: a command that opens the instance for writing a day after the last publish.
expect_exit 0 "ls soon after a publish" cairn ls
check "no publish within the day" [ "$(find "$CPS" -type f | wc -l)" = 2 ]
sql "$DB" "UPDATE instance_info SET value = CAST(CAST(value AS INTEGER) - 86400001 AS TEXT) WHERE name = 'audit_published_ms'"
expect_exit 0 "ls a day after the last publish" cairn ls
check "the daily publish" [ "$(find "$CPS" -type f | wc -l)" = 3 ]
expect_exit 0 "verify checks the published checkpoints" cairn audit verify
check "verify reports them" grep -q "published checkpoints: 3 in 1 location(s) match" "$T/out"
expect_exit 0 "verify --no-storage reads none" cairn audit verify --no-storage
check "verify --no-storage says so" grep -q "not read (--no-storage)" "$T/out"

# A rollback to before the publish, on a host that never saw the instance
# (fresh XDG state): the published checkpoints expose it.
cp -a .cairn "$T/published"
rm -rf .cairn && cp -a "$T/before-publish" .cairn
expect_exit 4 "a published checkpoint newer than the trail" env XDG_STATE_HOME="$T/state2" "$CAIRN_BIN" audit verify --json
check "verify: truncated by the published checkpoint" [ "$(problem < "$T/out")" = truncated ]
expect_exit 4 "the text names the checkpoint" env XDG_STATE_HOME="$T/state2" "$CAIRN_BIN" audit verify
expect_err_contains "published checkpoint $T/store/audit/checkpoints/"
rm -rf .cairn && cp -a "$T/published" .cairn

# Another instance's checkpoint in this store: not this instance's.
(cd "$T/q" && cairn purge run >/dev/null)
foreign=$(find "$T/qstore/audit/checkpoints" -type f | head -1)
cp "$foreign" "$CPS/"
expect_exit 4 "a foreign checkpoint in the store" cairn audit verify --json
check "verify: wrong_instance" [ "$(problem < "$T/out")" = wrong_instance ]
rm -f "$CPS/$(basename "$foreign")"
expect_exit 0 "verify without it" cairn audit verify

# Re-keyed signing key on a host with no recorded head: the published
# checkpoints were signed with the old key.
cp "$T/q/.cairn/audit-sign.key" "$T/q/.cairn/audit-sign.pub" .cairn/
expect_exit 4 "re-keyed instance against its published checkpoints" env XDG_STATE_HOME="$T/state3" "$CAIRN_BIN" audit verify --json
check "verify: keys_replaced" [ "$(problem < "$T/out")" = keys_replaced ]
cp -a "$T/keys/audit-sign.key" "$T/keys/audit-sign.pub" .cairn/
expect_exit 0 "verify with the real keys" cairn audit verify

# --- Redactions must match a purge --------------------------------------------------
echo secret > s.txt
expect_exit 0 "save a file to purge" cairn save s.txt --key people/jane.txt
expect_exit 0 "load it" cairn load people/jane.txt -o - 
expect_exit 0 "purge request" cairn purge request people/jane.txt --grace 0
expect_exit 0 "purge run" cairn purge run
check "the purge redacted events" [ "$(sql "$DB" "SELECT COUNT(*) FROM audit_event WHERE redacted_at IS NOT NULL")" -ge 2 ]
expect_exit 0 "a real purge's redactions verify" cairn audit verify
cp "$DB" "$T/good.db"
seq=$(sql "$DB" "SELECT MIN(seq) FROM audit_event WHERE action = 'ls'")
sql "$DB" "UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = 123 WHERE seq = $seq"
expect_exit 4 "a redaction no purge made" cairn audit verify --json
check "verify: unmatched_redaction" [ "$(problem < "$T/out")" = unmatched_redaction ]
check "at that seq" python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['bad_seq'] == $seq" "$T/out"
# Borrowing a real purge's redacted_at exceeds what that purge redacted.
at=$(sql "$DB" "SELECT redacted_at FROM audit_event WHERE redacted_at IS NOT NULL AND redacted_at != 123 LIMIT 1")
sql "$DB" "UPDATE audit_event SET redacted_at = $at WHERE seq = $seq"
expect_exit 4 "a redaction that borrows a purge's time" cairn audit verify
expect_err_contains "unmatched_redaction"
rm -f "$DB-wal" "$DB-shm" && cp "$T/good.db" "$DB"
expect_exit 0 "verify after restoring" cairn audit verify

# --- A deliberate reset ---------------------------------------------------------------
rm -rf .cairn
expect_exit 0 "init --replace-instance" cairn init . --storage "$T/store3" --replace-instance
check "the new head names the new instance" grep -q "\"instance_id\": \"$(sql "$DB" "SELECT value FROM instance_info WHERE name = 'instance_id'")\"" "$HEAD"
expect_exit 0 "the new instance works" cairn ls

finish
