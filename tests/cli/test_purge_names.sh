#!/usr/bin/env bash
# Names leave with the data (issue 13 item 4): after `purge run` shreds an
# artifact, no file of the instance, cache or config spells its key: not
# run command lines or parameters, not `ls KEY` events, not a failed load
# of KEY, not run events; the trail still verifies; the stored digests of
# redacted text are keyed, so the plain SHA-256 of that text is nowhere.
# Neighbours (a key that has KEY as a prefix, an unrelated key) stay.
# With CAIRN_OLD_BIN (a cairn built before keyed digests), also: a trail
# it wrote verifies before and after this version takes over and purges.
source "$(dirname "$0")/lib.sh"

K=people/zelda-quux.csv   # purged
N=people/zelda-quux.csv2  # neighbour: has K as a prefix, stays
U=other/thing.csv         # unrelated, stays
# Matches K but not N (K followed by "2"), nor the neighbour's prefixes.
K_RE='zelda-quux\.csv(?!2)'

# sql DB "SELECT ..." : prints the rows, '|'-separated (blobs in hex).
sql() { python3 - "$1" "$2" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for row in c.execute(sys.argv[2]):
    print("|".join("" if v is None else (v.hex() if isinstance(v, bytes) else str(v)) for v in row))
PY
}
# sha_digest TEXT : hex of the unkeyed command-line digest of TEXT (docs/AUDIT.md).
sha_digest() { python3 - "$1" <<'PY'
import hashlib, struct, sys
t = lambda b: b"t" + struct.pack(">Q", len(b)) + b
print(hashlib.sha256(t(b"cairn.audit.command_line.v1") + t(sys.argv[1].encode())).hexdigest())
PY
}
# in_files HEX FILE... : the bytes occur in one of the files (1: read, not found; 2: error).
in_files() { python3 - "$@" <<'PY'
import sys
try:
    needle = bytes.fromhex(sys.argv[1]); assert needle
    sys.exit(0 if any(needle in open(f, "rb").read() for f in sys.argv[2:]) else 1)
except SystemExit: raise
except Exception as e:
    print("in_files:", e, file=sys.stderr); sys.exit(2)
PY
}
not_in_files() { local rc=0; in_files "$@" || rc=$?; [ "$rc" = 1 ]; }
# names_gone WHAT DIR... : grep for K over every file; passes when grep read them and found nothing.
names_gone() { check_no_match "$1: no file spells $K" -a -r -P "$K_RE" "${@:2}"; }

# populate BIN : the same history, written by BIN.
populate() {
    local bin=$1
    echo a > a.txt; echo b > b.txt; echo c > c.txt
    uid=$("$bin" -q save a.txt --key "$K")
    nuid=$("$bin" -q save b.txt --key "$N")
    "$bin" -q save c.txt --key "$U" >/dev/null
    "$bin" run exec -p input="$K" -p other="$N" -- sh -c "cat $K $N >/dev/null 2>&1; true" 2>/dev/null
    "$bin" ls "$K" >/dev/null
    "$bin" ls people/zelda-q >/dev/null   # starts K, but N holds it: stays
    "$bin" ls "$N" >/dev/null
    expect_exit 3 "a load of $K to a missing directory fails" "$bin" load "$K" -o /nonexistent/dir/x
    "$bin" load "$K@v1" -o out.txt >/dev/null
    "$bin" lineage "$K" >/dev/null
    "$bin" -q save c.txt --key derived.csv --from "$K" >/dev/null
}

# --- this version from the start --------------------------------------------
cairn init "$T/proj" >/dev/null
cd "$T/proj"
DB=.cairn/catalog.db
populate "$CAIRN_BIN"

# Item 1: the failed load names the artifact it resolved.
check "the failed load lists the resolved uid among its targets" \
    [ "$(sql $DB "SELECT targets FROM audit_event WHERE action = 'load' AND result = 'error'")" = "[\"$uid\"]" ]
# A command that fails after resolving one ref (a purge request of K and an
# unknown ref): its event names K's uid.
expect_exit 3 "a purge request with an unknown second ref fails" cairn purge request "$K" no/such.csv --grace 0
check "the failed purge request names the uid it resolved" \
    [ "$(sql $DB "SELECT targets FROM audit_event WHERE action = 'purge.request' AND result = 'error'")" = "[\"$uid\"]" ]

ls_line=$(sql $DB "SELECT command_line FROM audit_event WHERE action = 'ls' ORDER BY seq LIMIT 1")
check "the ls event spells K before the purge" [ "$ls_line" = "$CAIRN_BIN ls $K" ]
sha=$(sha_digest "$ls_line")
check "the stored digest is keyed: not the SHA-256 of the text" \
    [ "$(sql $DB "SELECT hex(command_line_digest) FROM audit_event WHERE action = 'ls' ORDER BY seq LIMIT 1")" != "${sha^^}" ]
check "before the purge, files spell K (the check below can fail)" grep -a -r -q -P "$K_RE" .cairn

expect_exit 0 "purge request" cairn purge request "$K" --grace 0
expect_exit 0 "purge run" cairn purge run
expect_exit 0 "audit verify after the purge" cairn audit verify
names_gone "instance, cache and config" "$T/proj" "$HOME"
check "the plain SHA-256 of the redacted ls text is nowhere in the catalog" not_in_files "$sha" $DB $(ls $DB-wal 2>/dev/null)

# What stays: the neighbour and the unrelated key, the held prefix, the run.
check "the neighbour's ls event is intact" \
    [ "$(sql $DB "SELECT command_line FROM audit_event WHERE action = 'ls' AND command_line LIKE '%csv2'")" = "$CAIRN_BIN ls $N" ]
check "the ls of a prefix that the neighbour holds is intact" \
    [ "$(sql $DB "SELECT COUNT(*) FROM audit_event WHERE command_line LIKE '%ls people/zelda-q'")" = 1 ]
check "the unrelated key is still listed" grep -a -q "$U" $DB
run=$(sql $DB "SELECT uid FROM run WHERE command_line LIKE 'sh -c%'")
cairn run show "$run" --json > run.json
check "the run keeps its command with K replaced by its uid, the neighbour intact" python3 - "$uid" "$N" <<'PY'
import json, sys
j = json.load(open("run.json"))
uid, n = sys.argv[1], sys.argv[2]
assert j["command_line"] == f"sh -c 'cat [purged {uid}] {n} >/dev/null 2>&1; true'", j["command_line"]
assert j["params"] == {"input": f"[purged {uid}]", "other": n}, j["params"]
PY
check "the shred event counts the events redacted by name and the runs rewritten" python3 - "$DB" <<'PY'
import json, sqlite3, sys
d = json.loads(sqlite3.connect(sys.argv[1]).execute(
    "SELECT details FROM audit_event WHERE action = 'purge.shred'").fetchone()[0])
# By name: ls K, run.start, run.finish (the failed load and others carry the uid).
assert d["audit_events_redacted_by_name"] == 3, d
assert d["runs_scrubbed"] == 2, d   # the exec run and save --from's implicit run
PY

# --- a trail an older version wrote, taken over by this one -----------------
if [ -n "${CAIRN_OLD_BIN:-}" ]; then
    "$CAIRN_OLD_BIN" init "$T/old" >/dev/null
    cd "$T/old"
    DB=.cairn/catalog.db
    populate "$CAIRN_OLD_BIN"
    expect_exit 0 "the older version's trail verifies with it" "$CAIRN_OLD_BIN" audit verify
    expect_exit 0 "the older version's trail verifies with this version" cairn audit verify
    check "keyed digests start after the older events" \
        [ "$(sql $DB "SELECT value FROM instance_info WHERE name = 'audit_keyed_digests_from'")" -gt 10 ]
    cairn ls "$K" >/dev/null
    expect_exit 0 "purge request" cairn purge request "$K" --grace 0
    expect_exit 0 "purge run" cairn purge run
    expect_exit 0 "the mixed trail verifies after the purge" cairn audit verify
    names_gone "older instance" "$T/old" "$HOME"
fi

finish
