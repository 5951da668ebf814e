#!/usr/bin/env bash
# purge: request hides at once, cancel in the grace period only, dry run
# changes nothing, run destroys storage objects, cache entries, working
# copies and the wrapped key bytes in the catalog, certificates in the audit
# trail, resumption after kill -9, missed deadlines exit 9, one run at a time.
source "$(dirname "$0")/lib.sh"

cairn init "$T/proj" >/dev/null
cd "$T/proj"
DB=.cairn/catalog.db

# sql "SELECT ..." : prints the rows, '|'-separated.
sql() { python3 - "$DB" "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for row in c.execute(sys.argv[2]):
    print("|".join("" if v is None else (v.hex() if isinstance(v, bytes) else str(v)) for v in row))
c.commit()
PY
}
# in_catalog HEX : true if those bytes appear in catalog.db or its WAL.
# Exit 1 means "looked and not found"; any error (no catalog, bad hex) is 2,
# so `! in_catalog` cannot pass because nothing was read.
in_catalog() { python3 - "$DB" "$1" <<'PY'
import os, sys
try:
    needle = bytes.fromhex(sys.argv[2])
    assert needle, "empty needle"
    files = [open(sys.argv[1], "rb").read()]
    if os.path.exists(sys.argv[1] + "-wal"):
        files.append(open(sys.argv[1] + "-wal", "rb").read())
except Exception as e:
    print("in_catalog:", e, file=sys.stderr)
    sys.exit(2)
sys.exit(0 if any(needle in f for f in files) else 1)
PY
}
# not_in_catalog HEX : the catalog was read and those bytes are not in it.
not_in_catalog() { local rc=0; in_catalog "$1" || rc=$?; [ "$rc" = 1 ]; }
cache_dir() { echo "$XDG_CACHE_HOME/cairn/$(sql "SELECT value FROM instance_info WHERE name = 'instance_id'")"; }

head -c 200000 /dev/urandom > secret.bin
uid=$(cairn save secret.bin --key people/alice.bin)
echo other > other.txt
keep=$(cairn save other.txt --key people/bob.txt)
wc=$(cairn load people/alice.bin)
object=$(sql "SELECT object_name FROM artifact WHERE uid = '$uid'")
wrapped=$(sql "SELECT wrapped_key FROM artifact WHERE uid = '$uid'")
check "object stored" [ -f ".cairn/storage/$object" ]
# Local objects are read in place, but caches written by older versions
# held copies: plant one, purge must destroy it too.
mkdir -p "$(dirname "$(cache_dir)/$object")" && cp ".cairn/storage/$object" "$(cache_dir)/$object"
check "cache entry present" [ -f "$(cache_dir)/$object" ]
check "working copy present" [ -f "$wc" ]
check "wrapped key is in the catalog before purge" in_catalog "$wrapped"

# Request with a grace period, cancel it: the artifact comes back.
req=$(cairn purge request people/alice.bin --grace 1h --reason "subject request #42")
check "request prints an id" [ ${#req} = 16 ]
expect_exit 0 "ls with a pending request" cairn ls
check "ls still lists the other artifact" grep -q people/bob.txt "$T/out"
check_no_match "hidden from ls at once" -q alice "$T/out"
expect_exit 3 "load of a pending artifact fails" cairn load people/alice.bin -o x.bin
cairn purge status >"$T/status"
check "status lists the request" grep -q "$req" "$T/status"
cairn purge cancel "$req" 2>/dev/null
check "cancel restores the artifact" bash -c "\"$CAIRN_BIN\" ls | grep -q alice"

# A request without grace is due at once and can no longer be cancelled.
req=$(cairn purge request people/alice.bin --reason "subject request #42")
expect_exit 8 "cancel after due is refused" cairn purge cancel "$req"
expect_err_contains "can no longer be cancelled"

# The dry run prints the plan and changes nothing.
cairn purge run --dry-run >"$T/plan"
check "dry run prints the plan" grep -q "would delete 1 artifact" "$T/plan"
check "dry run keeps the object" [ -f ".cairn/storage/$object" ]
check "dry run leaves the target pending" [ "$(sql "SELECT t.state FROM deletion_target t JOIN deletion_request r ON r.id = t.request_id WHERE r.uid = '$req'")" = pending ]

# The real run.
expect_exit 0 "run succeeds" cairn purge run
check "run prints the plan and a summary" grep -q "1 request(s) done, 1 artifact(s) deleted" "$T/err"
check "object file gone" [ ! -e ".cairn/storage/$object" ]
check "cache entry gone" [ ! -e "$(cache_dir)/$object" ]
check "working copy gone" [ ! -e "$wc" ]
check "other artifact untouched" bash -c "\"$CAIRN_BIN\" load people/bob.txt -o - | grep -q other"
check "wrapped key bytes gone from catalog.db and WAL" not_in_catalog "$wrapped"
check "tombstone keeps uid, version and size only" [ "$(sql "SELECT key IS NULL, hash IS NULL, object_name IS NULL, wrapped_key IS NULL, state, version, size FROM artifact WHERE uid = '$uid'")" = "1|1|1|1|deleted|1|200000" ]
check "certificate in the audit trail" python3 -c "
import json, sqlite3, sys
rows = sqlite3.connect('$DB').execute(\"SELECT targets, details FROM audit_event WHERE action = 'purge.certificate'\").fetchall()
cert = json.loads(rows[0][1])
sys.exit(0 if cert['request'] == '$req' and json.loads(rows[0][0]) == ['$uid'] and cert['artifacts'][0]['uid'] == '$uid' else 1)"
check "certificate in the request" [ -n "$(sql "SELECT certificate FROM deletion_request WHERE uid = '$req' AND state = 'done'")" ]
out=$(cairn purge run --quiet 2>&1)
check "quiet run with nothing to do prints nothing" [ -z "$out" ]
expect_exit 3 "purged artifact is gone" cairn load "$uid" -o x.bin

# kill -9 at each step (test hook), then a normal run completes.
for step in objects_removed shredded scrubbed verified; do
    for i in 1 2 3; do echo "$step $i" > "k$i.txt"; cairn save "k$i.txt" --key "kill/$step/$i" >/dev/null 2>&1; done
    cairn purge request "kill/$step/1" "kill/$step/2" "kill/$step/3" >/dev/null 2>&1
    got=0; bash -c 'CAIRN_TEST_CRASH_AFTER=$0 exec "$1" purge run >/dev/null 2>&1' "$step" "$CAIRN_BIN" 2>/dev/null || got=$?
    check "crash hook killed the run after $step" [ "$got" = 137 ]
    expect_exit 0 "rerun after kill at $step completes" cairn purge run
    check "all targets verified after $step" [ "$(sql "SELECT COUNT(*) FROM deletion_target WHERE state != 'verified' AND state != 'cancelled'")" = 0 ]
done
check "storage holds only bob's object" [ "$(find .cairn/storage/objects -type f | wc -l)" = 1 ]
# Beside the objects: the audit checkpoints each purge run published (docs/AUDIT.md, Anchors).
check "purge runs published audit checkpoints" [ "$(find .cairn/storage/audit/checkpoints -type f | wc -l)" -ge 4 ]

# A real kill -9 somewhere in a larger run.
for i in $(seq 1 150); do echo "bulk $i" > b.txt; cairn save b.txt --key "bulk/$i" >/dev/null 2>&1; done
cairn purge request $(for i in $(seq 1 150); do echo "bulk/$i"; done) >/dev/null 2>&1
total=$(find .cairn/storage/objects -type f | wc -l)
check "150 bulk objects stored" [ "$total" -ge 150 ]
"$CAIRN_BIN" purge run >/dev/null 2>&1 & pid=$!
bg_started $pid
# Kill as soon as the first object disappears, so the kill lands mid-run
# however fast the machine is (a fixed sleep let fast runs finish first).
# Busy-polls (a sleep between polls could miss the run), with a deadline.
deadline=$((SECONDS + 300))
while kill -0 $pid 2>/dev/null && [ "$(find .cairn/storage/objects -type f | wc -l)" -ge "$total" ]; do
    if [ $SECONDS -ge $deadline ]; then fail "purge run removed no object in 300 s"; break; fi
done
kill -9 $pid 2>/dev/null || true   # the check below says whether it landed
wait_exit got 120 $pid
check "kill -9 landed mid-run" [ "$got" = 137 ]
check "the killed run left work to resume" [ "$(sql "SELECT COUNT(*) FROM deletion_target WHERE state != 'verified'")" -gt 0 ]
expect_exit 0 "run after kill -9 completes" cairn purge run
check "every bulk object gone" [ "$(find .cairn/storage/objects -type f | wc -l)" = 1 ]
check "every request done" [ "$(sql "SELECT COUNT(*) FROM deletion_request WHERE state = 'pending'")" = 0 ]

# Failing storage: the object's directory replaced by a file makes removal fail.
echo victim > v.txt
vuid=$(cairn save v.txt --key fail/v.txt)
vobj=$(sql "SELECT object_name FROM artifact WHERE uid = '$vuid'")
vdir=.cairn/storage/$(dirname "$vobj")
vreq=$(cairn purge request fail/v.txt 2>/dev/null)
mv "$vdir" "$T/saved-dir" && echo blocker > "$vdir"
expect_exit 9 "failed removal exits 9" cairn purge run
expect_err_contains "failure(s)"
check "target stays pending with its error" [ -n "$(sql "SELECT t.last_error FROM deletion_target t JOIN deletion_request r ON r.id = t.request_id WHERE r.uid = '$vreq' AND t.state = 'pending'")" ]
# The deadline passes while storage is still failing.
sql "UPDATE deletion_request SET deadline_at = 1000 WHERE uid = '$vreq'" >/dev/null
expect_exit 9 "overdue request exits 9" cairn purge run
expect_err_contains "past their deadline"
cairn purge status >"$T/status"
check "status shows the overdue request" grep -q "$vreq.*OVERDUE" "$T/status"
target_error=$(sql "SELECT t.last_error FROM deletion_target t JOIN deletion_request r ON r.id = t.request_id WHERE r.uid = '$vreq'")
check "status shows what failed, not a table column (issue 15)" grep -qF "the latest error: $target_error" "$T/status"
check_not "status names no table" grep -q 'deletion_target' "$T/status"
rm "$vdir" && mv "$T/saved-dir" "$vdir"
expect_exit 9 "late completion still reports the missed deadline" cairn purge run
expect_err_contains "after their deadline"
expect_exit 0 "then the next run is clean" cairn purge run
check "certificate says the deadline was missed" bash -c "[ \"\$(python3 -c \"import sqlite3,json; print(json.loads(sqlite3.connect('$DB').execute(\\\"SELECT certificate FROM deletion_request WHERE uid = '$vreq'\\\").fetchone()[0])['deadline_met'])\")\" = False ]"

# One run at a time.
# The test shell itself takes the lock (flock -n: held once it returns) and
# keeps it until it closes the descriptor; cairn runs without that descriptor.
exec 8>.cairn/purge.lock
check "the test holds the purge lock" flock -n 8
echo 4242 >&8
expect_exit 8 "second concurrent run exits 8" cairn purge run 8>&-
expect_err_contains "another purge run is in progress (pid 4242)"
exec 8>&-
expect_exit 0 "lock released when the holder lets go" cairn purge run

# Retention: keep_versions from config; dry run creates no request.
for i in 1 2 3; do echo "tmp $i" > t.txt; cairn save t.txt --key tmp/t.txt >/dev/null 2>&1; done
printf 'retention:\n  - match: "tmp/**"\n    keep_versions: 1\n' >> .cairn/config.yaml
n_before=$(sql "SELECT COUNT(*) FROM deletion_request")
cairn purge run --dry-run >"$T/plan"
check "dry run shows the retention plan" grep -q "retention 'tmp/\*\*': would request deletion of 2" "$T/plan"
check "dry run creates no request" [ "$(sql "SELECT COUNT(*) FROM deletion_request")" = "$n_before" ]
expect_exit 0 "retention run" cairn purge run
check "retention run deletes old versions" [ "$(cairn ls tmp/ --all-versions --json | python3 -c 'import json,sys; print([a["version"] for a in json.load(sys.stdin)])')" = "[3]" ]

# Descendants: status flags derived data; --with-descendants targets it.
echo raw > raw.txt; cairn save raw.txt --key lin/raw >/dev/null 2>&1
echo derived > d.txt; cairn save d.txt --key lin/derived >/dev/null 2>&1
python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO transform (uid, key, kind, created_at) VALUES ('trfuid0000000001', 'lin/make', 'manual', 0)")
tr = c.execute("SELECT id FROM transform WHERE uid = 'trfuid0000000001'").fetchone()[0]
c.execute("INSERT INTO run (uid, transform_id, started_at) VALUES ('runuid0000000001', ?, 0)", (tr,))
run = c.execute("SELECT id FROM run WHERE uid = 'runuid0000000001'").fetchone()[0]
raw = c.execute("SELECT id FROM artifact WHERE key = 'lin/raw'").fetchone()[0]
c.execute("INSERT INTO run_input (run_id, artifact_id, recorded_at) VALUES (?, ?, 0)", (run, raw))
c.execute("UPDATE artifact SET run_id = ? WHERE key = 'lin/derived'", (run,))
c.commit()
PY
expect_exit 0 "ls lin/ before any request" cairn ls lin/
check "ls lists the derived artifact before any request" grep -q lin/derived "$T/out"
lreq=$(cairn purge request lin/raw --grace 1h 2>/dev/null)
cairn purge status >"$T/status"
check "status lists untargeted descendants" grep -q "not targeted: lin/derived" "$T/status"
cairn purge cancel "$lreq" 2>/dev/null
cairn purge request lin/raw --with-descendants --grace 1h --json >"$T/req.json"
check "--with-descendants targets derived data" grep -q '"via": "descendant"' "$T/req.json"
expect_exit 0 "ls lin/ after --with-descendants" cairn ls lin/ --json
check "derived data hidden too (and raw)" [ "$(cat "$T/out")" = "[]" ]

# purge run needs a credential that may purge, but not the instance key:
# cron runs as a purger member, whose grant holds no key (it cannot read).
openssl genpkey -algorithm X25519 -out "$T/cron.pem" && openssl pkey -in "$T/cron.pem" -pubout -out "$T/cron.pub"
cairn access grant cron --public-key "$T/cron.pub" --role purger >/dev/null
mv "$HOME/.config/cairn/keys" "$T/keys-away"
sql "UPDATE deletion_request SET due_at = 0 WHERE state = 'pending'" >/dev/null
pending=$(sql "SELECT COUNT(*) FROM deletion_target WHERE state = 'pending'")
check "targets to delete" [ "$pending" -gt 0 ]
expect_exit 6 "purge run with no credential is denied" cairn purge run
check "nothing deleted" [ "$(sql "SELECT COUNT(*) FROM deletion_target WHERE state = 'pending'")" = "$pending" ]
expect_exit 0 "a purger member runs purge without the key file" env CAIRN_IDENTITY="$T/cron.pem" "$CAIRN_BIN" purge run
check "all deleted" [ "$(sql "SELECT COUNT(*) FROM deletion_target WHERE state = 'pending'")" = 0 ]
mv "$T/keys-away" "$HOME/.config/cairn/keys"

finish
