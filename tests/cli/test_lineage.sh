#!/usr/bin/env bash
# Runs (start/finish/exec), CAIRN_RUN linking, save --from, cycles, unknown
# and finished runs, unfinished runs, lineage in text/dot/mermaid/json.
source "$(dirname "$0")/lib.sh"

cairn init proj >/dev/null
cd proj
seq 1 100 > raw.csv
printf 'a\nb\n' > extra.csv
cat > clean.sh <<'SH'
#!/usr/bin/env bash
set -e
cairn=$1
"$cairn" load data/raw.csv -o in.csv --force >/dev/null
head -10 in.csv > clean.csv
"$cairn" save clean.csv --key data/clean.csv >/dev/null
SH
chmod +x clean.sh

raw=$(cairn save raw.csv --key data/raw.csv)
extra=$(cairn save extra.csv --key data/extra.csv)

# run start / finish with CAIRN_RUN linking.
run=$(cairn run start --transform clean.sh --param rows=10 --param api_token=hunter2 | head -1)
check "run start prints a uid" [ ${#run} = 16 ]
check "--export prints an export line" bash -c "\"$CAIRN_BIN\" run start --transform x --export | grep -qE '^export CAIRN_RUN=[0-9a-v]{16}$'"
export CAIRN_RUN=$run
cairn load data/raw.csv -o in.csv >/dev/null
head -10 in.csv > clean.csv
clean=$(cairn save clean.csv --key data/clean.csv)
cairn run finish
unset CAIRN_RUN
cairn run show "$run" --json > show.json
check "show: input raw, output clean, succeeded, hashed transform, secret param redacted" python3 - "$raw" "$clean" <<'PY'
import json, sys
j = json.load(open("show.json"))
raw, clean = sys.argv[1], sys.argv[2]
assert [a["uid"] for a in j["inputs"]] == [raw], j
assert [a["uid"] for a in j["outputs"]] == [clean], j
assert j["status"] == "succeeded" and j["exit_status"] == 0
assert j["transform"]["key"] == "clean.sh" and j["transform"]["kind"] == "script"
assert len(j["transform"]["source_hash"]) == 64
assert j["params"] == {"rows": "10", "api_token": "***"}, j["params"]
PY
check "the catalog holds the run's other parameter" grep -aq rows .cairn/catalog.db
check_no_match "no secret in catalog" -aq hunter2 .cairn/catalog.db $(ls .cairn/catalog.db-wal 2>/dev/null)

# Finishing twice: conflict (8) with a clear message; unknown run: 3.
expect_exit 8 "finish twice" cairn run finish "$run"
expect_err_contains "already finished"
expect_exit 3 "finish unknown run" cairn run finish 0000000000000000
expect_exit 2 "finish with no run" cairn run finish

# An unknown CAIRN_RUN fails before anything is saved; a finished one refuses outputs.
echo new > new.csv
objects=$(find .cairn/storage -type f | wc -l)
expect_exit 3 "save under unknown run" env CAIRN_RUN=zzzzzzzzzzzzzzzz "$CAIRN_BIN" save new.csv --key data/new.csv
expect_err_contains "no run 'zzzzzzzzzzzzzzzz'"
expect_exit 0 "ls after the refused save" cairn ls data/new.csv --json
check "nothing saved" [ "$(cat "$T/out")" = "[]" ]
check "no object uploaded" [ "$(find .cairn/storage -type f | wc -l)" = "$objects" ]
expect_exit 8 "save under finished run" env CAIRN_RUN="$run" "$CAIRN_BIN" save new.csv --key data/new.csv
expect_err_contains "finished"
expect_exit 3 "load under unknown run" env CAIRN_RUN=zzzzzzzzzzzzzzzz "$CAIRN_BIN" load data/raw.csv -o never.csv
check "load wrote nothing" [ ! -e never.csv ]

# run exec: CAIRN_RUN set for the child, exit status forwarded, run finished.
echo changed >> raw.csv
cairn save raw.csv --key data/raw.csv >/dev/null   # v2: a different node
got=0; cairn run exec -- bash -c 'echo "run=$CAIRN_RUN"; exit 7' > exec.out 2>/dev/null || got=$?
check "exec forwards the exit status" [ "$got" = 7 ]
erun=$(sed -n 's/^run=//p' exec.out)
check "child saw CAIRN_RUN" [ ${#erun} = 16 ]
check "exec run finished with 7" bash -c "\"$CAIRN_BIN\" run show $erun --json | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j[\"exit_status\"]==7 and j[\"status\"]==\"failed\"'"
check "stdin passes through" bash -c "echo piped | \"$CAIRN_BIN\" run exec -- cat 2>/dev/null | grep -qx piped"
expect_exit 127 "exec of a missing command" cairn run exec -- /nonexistent/cmd
expect_err_contains "cannot run"
cairn run exec -- ./clean.sh "$CAIRN_BIN" 2>/dev/null
check "exec'd script's save is an output of its run" bash -c "\"$CAIRN_BIN\" run ls --json | python3 -c '
import json,sys
runs=json.load(sys.stdin)
r=[r for r in runs if r[\"transform\"][\"key\"]==\"clean.sh\" and r[\"status\"]==\"succeeded\"]
assert len(r)==2, runs'"

# SIGTERM to cairn run exec is forwarded to the child. The child traps TERM,
# writes a marker and exits 99: only a forwarded signal gives both (a cairn
# killed by the TERM itself exits 143, and its child never sees the signal).
# The TERM is sent only once the child runs and cairn waits for it, so it
# cannot land before the forwarding handler is installed.
cat > trap_term.sh <<'SH'
#!/usr/bin/env bash
sleep 300 >/dev/null 2>&1 & s=$!
trap 'kill $s; echo "$CAIRN_RUN" > term.got; exit 99' TERM
echo "$$ $s" > term.pid.tmp && mv term.pid.tmp term.pid
wait $s
SH
cat > plain_child.sh <<'SH'
#!/usr/bin/env bash
echo $$ > plain.pid.tmp && mv plain.pid.tmp plain.pid
exec sleep 300
SH
chmod +x trap_term.sh plain_child.sh
# waiting_for_child PID : cairn (PID) sleeps in the kernel. Once its child
# runs, the only calls it can sleep in are the read of the exec pipe and
# waitpid, both after it stored the child's pid for forwarding.
waiting_for_child() { [ "$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1)" = S ]; }
"$CAIRN_BIN" run exec --transform trap_term -- ./trap_term.sh 2>/dev/null & epid=$!
bg_started $epid
wait_until "the TERM-trapping child runs" 120 test -s term.pid
read -r child_pid sleep_pid < term.pid
bg_started "$child_pid"; bg_started "$sleep_pid"   # killed on exit if TERM never reached them
wait_until "cairn run exec waits for its child" 120 waiting_for_child $epid
kill -TERM $epid
wait_exit got 60 $epid   # a forwarded TERM ends it at once; a lost one never
check "SIGTERM forwarded: cairn exits with the child's status 99 (got $got)" [ "$got" = 99 ]
check "SIGTERM forwarded: the child trapped it" test -s term.got
trun=$(cat term.got 2>/dev/null || true)
expect_exit 0 "show the TERM-trapping run" cairn run show "$trun" --json
check "the run that got TERM finished with 99" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["transform"]["key"] == "trap_term" and j["exit_status"] == 99 and j["status"] == "failed", j' "$T/out"
# A child that does not trap TERM dies of it: cairn exits 128+15 and, having
# survived the signal itself, records that status.
"$CAIRN_BIN" run exec --transform plain_child -- ./plain_child.sh 2>/dev/null & epid=$!
bg_started $epid
wait_until "the plain child runs" 120 test -s plain.pid
plain_pid=$(cat plain.pid)
bg_started "$plain_pid"
wait_until "cairn run exec waits for its plain child" 120 waiting_for_child $epid
kill -TERM $epid
wait_exit got 60 $epid   # a forwarded TERM ends it at once; a lost one never
check "SIGTERM forwarded: 128+15 (got $got)" [ "$got" = 143 ]
check "the plain child is gone" exited "$plain_pid"
expect_exit 0 "run ls after TERM" cairn run ls --transform plain_child --json
check "the TERM-killed run finished with 143" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r) == 1 and r[0]["status"] == "failed" and r[0]["exit_status"] == 143, r' "$T/out"

# A run whose process died shows as unfinished (kill -9 the exec'ing cairn
# once its child runs, so the run is recorded and the kill lands mid-run).
cat > doomed.sh <<'SH'
#!/usr/bin/env bash
echo $$ > doomed.pid.tmp && mv doomed.pid.tmp doomed.pid
exec sleep 300
SH
chmod +x doomed.sh
"$CAIRN_BIN" run exec --transform doomed -- ./doomed.sh 2>/dev/null & epid=$!
bg_started $epid
wait_until "the doomed child runs" 120 test -s doomed.pid
orphan=$(cat doomed.pid)
bg_started "$orphan"
kill -9 $epid
wait_exit got 120 $epid
check "kill -9 landed while the run was running (got $got)" [ "$got" = 137 ]
kill "$orphan"
check "killed run is unfinished" bash -c "\"$CAIRN_BIN\" run ls --json | python3 -c '
import json,sys
r=[r for r in json.load(sys.stdin) if r[\"transform\"][\"key\"]==\"doomed\"][0]
assert r[\"status\"]==\"unfinished\" and r[\"finished_at\"] is None, r'"
check "unfinished run can still be finished" cairn run finish "$(cairn run ls --transform doomed --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["uid"])')" --status 137

# save --from without a run: an implicit manual run; cycles refused.
printf 'x\n' > report.txt
report=$(cairn save report.txt --key out/report.txt --from data/clean.csv --from data/extra.csv)
check "report derives from clean and extra" bash -c "\"$CAIRN_BIN\" lineage out/report.txt --json | python3 -c '
import json,sys
j=json.load(sys.stdin)
uids={n[\"uid\"] for n in j[\"nodes\"] if n[\"type\"]==\"artifact\"}
assert {\"$clean\",\"$extra\",\"$raw\",\"$report\"} <= uids, uids
assert any(n[\"type\"]==\"run\" and n[\"transform\"][\"kind\"]==\"manual\" for n in j[\"nodes\"])'"
cairn load data/raw.csv@v1 -o raw_v1.csv >/dev/null
expect_exit 2 "deriving raw from its descendant is refused" cairn save raw_v1.csv --key data/raw.csv --from out/report.txt
expect_err_contains "cycle"
expect_exit 2 "deriving from itself is refused" cairn save report.txt --key out/report.txt --from out/report.txt
expect_exit 3 "--from unknown" cairn save report.txt --key out/r2.txt --from no/such
printf 'y\n' > report.txt
check "v2 derived from v1 is fine" bash -c "\"$CAIRN_BIN\" save report.txt --key out/report.txt --from out/report.txt@v1 >/dev/null"

# lineage output formats.
cairn lineage data/clean.csv > tree.txt
check "text tree shows the run and the input" grep -q "└── ◀ run ${run:0:8}  clean.sh \[script\] succeeded" tree.txt
check "text tree shows raw@v1" grep -q "data/raw.csv@v1  ${raw:0:8}  (newer version exists)" tree.txt
check "down tree" bash -c "\"$CAIRN_BIN\" lineage data/raw.csv@v1 --down | grep -q 'out/report.txt@v1'"
check "both" bash -c "\"$CAIRN_BIN\" lineage data/clean.csv --both | grep -q 'used by'"
expect_exit 0 "lineage --depth 1" cairn lineage out/report.txt@v1 --depth 1
check "depth 1 shows the direct inputs" grep -q data/clean.csv "$T/out"
check_no_match "depth 1 stops early" -q data/raw.csv "$T/out"
check "dot renders with graphviz" bash -c "\"$CAIRN_BIN\" lineage out/report.txt@v2 --both --format dot | dot -Tsvg > lineage.svg && grep -q '<svg' lineage.svg"
cairn lineage out/report.txt@v1 --format mermaid > lineage.mmd
check "mermaid structure" python3 - <<'PY'
import re
lines = open("lineage.mmd").read().splitlines()
assert lines[0] == "flowchart LR"
nodes = {m.group(1) for l in lines if (m := re.match(r'\s+([ar]_[0-9a-v]{16})[\[(]', l))}
edges = [re.match(r'\s+([ar]_\w+) --> ([ar]_\w+)$', l).groups() for l in lines if "-->" in l]
assert edges and all(a in nodes and b in nodes for a, b in edges), (nodes, edges)
assert all(a[0] != b[0] for a, b in edges)  # bipartite: artifact <-> run
PY
cairn lineage "$clean" --both --json > lineage.json
check "json structure" python3 - "$clean" <<'PY'
import json, sys
j = json.load(open("lineage.json"))
assert j["root"] == sys.argv[1] and j["direction"] == "both"
ids = {n["id"] for n in j["nodes"]}
assert all(e["from"] in ids and e["to"] in ids and e["kind"] in ("input", "output") for e in j["edges"])
assert {n["type"] for n in j["nodes"]} == {"artifact", "run"}
PY
expect_exit 3 "lineage of unknown" cairn lineage no/such
expect_exit 2 "bad format" cairn lineage data/raw.csv --format png

# Tombstones: an artifact marked deleted shows its uid and date, not its key.
sqlite3 .cairn/catalog.db "UPDATE artifact SET state='deleted', deleted_at=1795538372123 WHERE uid='$extra'" 2>/dev/null ||
    python3 -c "import sqlite3; c=sqlite3.connect('.cairn/catalog.db'); c.execute(\"UPDATE artifact SET state='deleted', deleted_at=1795538372123 WHERE uid='$extra'\"); c.commit()"
cairn lineage out/report.txt@v1 > tomb.txt
check "tombstone shows uid and date" grep -q "† $extra  deleted 2026-11-24" tomb.txt
check_no_match "tombstone hides the key" -q data/extra.csv tomb.txt
check "lineage by uid of a deleted artifact" bash -c "\"$CAIRN_BIN\" lineage $extra --down | grep -q out/report.txt"

# Every command leaves an audit event.
check "audit events for runs and lineage" python3 - <<'PY'
import sqlite3
c = sqlite3.connect(".cairn/catalog.db")
actions = {r[0] for r in c.execute("SELECT action FROM audit_event")}
need = {"run.start", "run.finish", "run.show", "run.ls", "lineage", "save", "load"}
assert need <= actions, need - actions
PY

finish
