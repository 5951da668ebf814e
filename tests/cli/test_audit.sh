#!/usr/bin/env bash
# The audit trail: events for every command, a chain that survives
# concurrency and kill -9, filters, JSON Lines export, redaction, tampering
# detected at the right position, checkpoints, and prune's 12-month floor.
source "$(dirname "$0")/lib.sh"

cairn init proj >/dev/null
cd proj
echo "a,b" > small.csv
uid=$(cairn save small.csv --key exp/small.csv)
cairn load exp/small.csv -o - >/dev/null
cairn ls >/dev/null
expect_exit 3 "load of a missing artifact fails" cairn load no/such -o x
expect_exit 0 "verify after basic use" cairn audit verify
check "verify says OK" grep -q '^OK: ' "$T/out"

# Every event carries who, where and what.
cairn audit --json > events.json
check "all fields present" python3 - <<'PY'
import json
ev = json.load(open("events.json"))
need = ["seq","time_ms","actor","os_user","os_uid","host","pid","command_line","action","targets","result","error_code","details","chain"]
assert all(all(k in e for k in need) for e in ev), ev
assert [e["action"] for e in ev][:4] == ["init","save","load","ls"], [e["action"] for e in ev]
fail = [e for e in ev if e["action"] == "load" and e["result"] == "error"]
assert fail and fail[0]["error_code"] == 3, fail
assert ev[1]["targets"] and ev[1]["os_uid"] >= 0 and ev[1]["pid"] > 0
PY

# Filters.
n() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
check "--action save" [ "$(cairn audit --action save --json | n)" = 1 ]
check "--artifact uid" [ "$(cairn audit --artifact "$uid" --json | n)" = 2 ]
check "--result error" [ "$(cairn audit --result error --json | n)" = 1 ]
check "--actor" [ "$(cairn audit --actor "$(id -un)" --action init --json | n)" = 1 ]
check "--actor nobody-else" [ "$(cairn audit --actor nobody-else --json | n)" = 0 ]
check "--since 1d" [ "$(cairn audit --since 1d --action init --json | n)" = 1 ]
check "--until 2000-01-01" [ "$(cairn audit --until 2000-01-01 --json | n)" = 0 ]
check "--limit 2" [ "$(cairn audit --limit 2 --json | n)" = 2 ]
expect_exit 2 "bad --result" cairn audit --result maybe
expect_exit 2 "bad --since" cairn audit --since yesterday
check "reads are recorded" [ "$(cairn audit --action audit --json | n)" -ge 8 ]
check "text table" bash -c "\"$CAIRN_BIN\" audit --action save | grep -q '$uid'"

# Export: valid JSON Lines, 0600, with seq and chain.
cairn audit export -o export.jsonl 2>/dev/null
check "export file is 0600" [ "$(stat -c %a export.jsonl)" = 600 ]
check "export is JSON Lines with seq and chain" python3 - <<'PY'
import json
lines = open("export.jsonl").read().splitlines()
assert lines
prev = 0
for l in lines:
    e = json.loads(l)
    assert e["seq"] == prev + 1 and len(e["chain"]) == 64
    prev = e["seq"]
PY
check "export to stdout with a filter" bash -c "[ \$(\"$CAIRN_BIN\" audit export --action save | wc -l) = 1 ]"

# Secrets typed on the command line never reach the trail.
expect_exit 3 "load of a secret-bearing ref that names nothing" cairn load 'token=SECRETAAA' -o -
expect_exit 0 "ls with a secret-bearing prefix" cairn ls 'password=SECRETBBB'
expect_exit 0 "audit with a secret-bearing actor" cairn audit --actor 'api_token=SECRETCCC'
expect_exit 0 "ls with credentials in a URL" cairn --instance . ls 'https://u:SECRETDDD@example.com/x'
expect_exit 0 "audit with a presigned-URL artifact" cairn audit --artifact 'x?X-Amz-Signature=SECRETEEE'
cairn audit export -o all.jsonl 2>/dev/null
for redacted in 'load token=***' 'ls password=***' 'audit --actor api_token=***' 'ls https://***@example.com/x' \
    'audit --artifact x?X-Amz-Signature=***'; do
    check "recorded redacted: $redacted" grep -qF -- "$redacted" all.jsonl
done
check_no_match "no secret in the export" -q SECRET all.jsonl
check "no secret in the catalog's audit rows" python3 - <<'PY'
import sqlite3
db = sqlite3.connect(".cairn/catalog.db")
for row in db.execute("SELECT * FROM audit_event"):
    assert "SECRET" not in repr(row), row
PY

# Eight concurrent processes leave one valid chain.
for i in $(seq 1 8); do head -c $((50000 + i)) /dev/urandom > "in$i.bin"; done
worker() {
    local i=$1
    for round in 1 2 3; do
        "$CAIRN_BIN" save "in$i.bin" --key "w$i/d.bin" >/dev/null 2>&1 || return 1
        "$CAIRN_BIN" load "w$i/d.bin" -o - >/dev/null || return 1
        "$CAIRN_BIN" ls >/dev/null || return 1
        "$CAIRN_BIN" audit --limit 1 >/dev/null || return 1
    done
}
before=$(cairn audit export | wc -l)
pids=()
for i in $(seq 1 8); do worker "$i" & pids+=($!); done
ok=0
for p in "${pids[@]}"; do wait "$p" || ok=1; done
check "8 workers succeeded" [ $ok = 0 ]
expect_exit 0 "chain valid after concurrency" cairn audit verify
after=$(cairn audit export | wc -l)
check "every concurrent command recorded ($before -> $after)" [ $((after - before)) -ge 96 ]

# kill -9 mid-save leaves a valid chain. Each kill waits until the save has
# opened the catalog and written part of its temp file, so it lands mid-save
# (a fixed delay could land before the catalog was opened, or after the end).
head -c 200000000 /dev/zero > big.bin
cache=$(cache_objects_dir)
: > "$T/known_temps"
saves_before=$(cairn audit --action save --json | n)
for mib in 1 16 40; do
    echo "$mib" >> big.bin
    "$CAIRN_BIN" save big.bin --key big >/dev/null 2>&1 &
    pid=$!
    bg_started $pid
    wait_until "the save wrote $mib MiB" 600 new_temp_holds "$cache" "$T/known_temps" $((mib << 20))
    kill -9 "$pid" 2>/dev/null || true   # whether it landed mid-save is checked next
    wait_exit got 120 "$pid"
    check "kill -9 landed mid-save after $mib MiB (exit $got)" [ "$got" = 137 ]
    left=$(new_temp "$cache" "$T/known_temps")
    check "the killed save left its temp file" [ -n "$left" ]
    echo "$left" >> "$T/known_temps" && sort -o "$T/known_temps" "$T/known_temps"
    expect_exit 0 "chain valid after kill -9 after $mib MiB" cairn audit verify
done
check "the killed saves recorded no save event" [ "$(cairn audit --action save --json | n)" = "$saves_before" ]
expect_exit 0 "a save after the kills" cairn save big.bin --key big
expect_exit 0 "chain valid after the save that follows the kills" cairn audit verify

# Checkpoint, then tamper (python3's sqlite3; no sqlite3 CLI needed).
expect_exit 0 "checkpoint" cairn audit checkpoint -o cp.json
check "checkpoint is 0600 JSON with a signature" python3 -c "import json; c=json.load(open('cp.json')); assert len(c['signature'])==128 and c['count']>0"
expect_exit 0 "verify against checkpoint" cairn audit verify --checkpoint cp.json
cp .cairn/catalog.db pristine.db
expect_exit 0 "audit public-key" cairn audit public-key
check "public key exported" grep -q 'BEGIN PUBLIC KEY' "$T/out"

tamper() { python3 -c "import sqlite3,sys; db=sqlite3.connect('.cairn/catalog.db'); [db.execute(s) for s in sys.argv[1:]]; db.commit()" "$@"; }
restore() { rm -f .cairn/catalog.db-wal .cairn/catalog.db-shm; cp pristine.db .cairn/catalog.db; }
bad_seq() { python3 -c 'import json,sys; r=json.load(sys.stdin); print(r.get("problem"), r.get("bad_seq"))'; }

tamper "UPDATE audit_event SET actor='mallory' WHERE seq=5"
expect_exit 4 "edited row fails with exit 4" cairn audit verify
expect_err_contains "seq 5"
expect_exit 4 "edited row, --json" cairn audit verify --json
check "edited at 5" [ "$(bad_seq < "$T/out")" = "edited 5" ]
restore
tamper "DELETE FROM audit_event WHERE seq=6"
expect_exit 4 "deleted row fails with exit 4" cairn audit verify --json
check "deleted at 6" [ "$(bad_seq < "$T/out")" = "deleted 6" ]
restore
tamper "UPDATE audit_event SET seq=-1 WHERE seq=3" "UPDATE audit_event SET seq=3 WHERE seq=4" "UPDATE audit_event SET seq=4 WHERE seq=-1"
expect_exit 4 "reordered rows fail with exit 4" cairn audit verify --json
check "reordered at 3" [ "$(bad_seq < "$T/out")" = "reordered 3" ]
restore
last=$(python3 -c "import json; print(json.load(open('cp.json'))['count'])")
tamper "DELETE FROM audit_event WHERE seq > $((last - 3))"
expect_exit 4 "a cut tail is caught by this host's recorded head" cairn audit verify --json
check "truncated against the host head" [ "$(bad_seq < "$T/out")" = "truncated $((last - 2))" ]
expect_exit 4 "without any anchor, the cut tail's leftover audit_target rows show" \
    env XDG_STATE_HOME="$T/no-state" "$CAIRN_BIN" audit verify --no-storage --json
check "the leftover index rows are named" [ "$(bad_seq < "$T/out")" = "target_index_mismatch None" ]
tamper "DELETE FROM audit_target WHERE seq > $((last - 3))"
expect_exit 4 "a cut tail that took a save leaves an unsealed artifact" \
    env XDG_STATE_HOME="$T/no-state" "$CAIRN_BIN" audit verify --no-storage
expect_err_contains "was sealed by no audit event"
expect_exit 4 "a cut tail fails with the checkpoint" cairn audit verify --checkpoint cp.json --json
check "truncated tail found with the checkpoint" [ "$(bad_seq < "$T/out")" = "truncated $((last - 2))" ]  # verify appends nothing
restore
python3 - <<'PY'
import json
c = json.load(open("cp.json"))
c["count"] -= 1
json.dump(c, open("forged.json", "w"))
PY
expect_exit 4 "forged checkpoint" cairn audit verify --checkpoint forged.json
expect_err_contains "bad_signature"
# verify is read-only: not even a refusal is appended (issue 14 item 7).
check "a refused verify appends nothing" [ "$(python3 -c "import sqlite3; print(sqlite3.connect('.cairn/catalog.db').execute(\"SELECT COUNT(*) FROM audit_event WHERE action = 'audit.verify'\").fetchone()[0])")" = 0 ]

# Prune refuses anything younger than 12 months, and records the attempt.
expect_exit 2 "prune of young events" cairn audit prune --before 30d
expect_err_contains "12 months"
expect_exit 0 "prune of old events (none) works" cairn audit prune --before 400d
expect_exit 0 "chain still valid after prune" cairn audit verify --checkpoint cp.json
check "prune recorded" [ "$(cairn audit --action audit.prune --result ok --json | n)" = 1 ]
check "refused prune recorded as an error" [ "$(cairn audit --action audit.prune --result error --json | n)" = 1 ]

finish
