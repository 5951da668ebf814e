#!/usr/bin/env bash
# Erasure reaches the audit trail: after purge run, an artifact's key (which
# may be personal data) appears nowhere in the catalog, its WAL or an audit
# export, because events name artifacts by uid and purge redacts the command
# line and details of events naming a shredded uid; the chain still verifies.
source "$(dirname "$0")/lib.sh"

cairn init "$T/proj" >/dev/null
cd "$T/proj"
DB=.cairn/catalog.db

# in_files TEXT FILE [OPTIONAL-FILE...] : exit 0 if TEXT appears (as bytes) in
# FILE or an OPTIONAL-FILE that exists, 1 if not; 2 if FILE cannot be read,
# so a missing catalog cannot pass as "not found".
in_files() { python3 - "$@" <<'PY'
import os, sys
try:
    needle = sys.argv[1].encode()
    data = [open(sys.argv[2], "rb").read()] + [open(p, "rb").read() for p in sys.argv[3:] if os.path.exists(p)]
except Exception as e:
    print("in_files:", e, file=sys.stderr)
    sys.exit(2)
sys.exit(0 if any(needle in d for d in data) else 1)
PY
}
# not_in_files TEXT FILE... : the files were read and TEXT is not in them
not_in_files() { local rc=0; in_files "$@" || rc=$?; [ "$rc" = 1 ]; }

echo "name,dob" > jane.csv
echo "jane,1970-01-01" >> jane.csv
uid=$(cairn save jane.csv --key patients/jane-doe.csv)
echo "unrelated" > other.txt
other=$(cairn save other.txt --key misc/other.txt)
cairn load patients/jane-doe.csv -o "$T/copy.csv" >/dev/null
check "load works" same_file jane.csv "$T/copy.csv"
cairn audit >"$T/list"
check "listing shows the current key of a live target" grep -q "patients/jane-doe.csv" "$T/list"
check "audit details read" python3 -c "import sqlite3, sys; open(sys.argv[2], 'w').write(repr(list(sqlite3.connect(sys.argv[1]).execute('SELECT action, details FROM audit_event'))))" "$DB" "$T/details"
check "the details read include the save and the load" bash -c "grep -q \"'save'\" '$T/details' && grep -q \"'load'\" '$T/details'"
check_no_match "save and load details carry no key" -q jane-doe "$T/details"

req=$(cairn purge request patients/jane-doe.csv --grace 0s --reason "subject request #42")
expect_exit 0 "purge run succeeds" cairn purge run
expect_exit 0 "ls after the purge" cairn ls
check "ls still lists the other artifact" grep -q misc/other.txt "$T/out"
check_no_match "the artifact is gone" -q patients "$T/out"
# (A command typed after the purge that names the key, e.g. a failing load,
# is logged with its own command line; it names no uid, so nothing redacts
# it: see docs/AUDIT.md, Redaction.)

cairn audit export >"$T/export.jsonl"
check "export is not empty" [ -s "$T/export.jsonl" ]
check_no_match "export does not mention jane-doe" -q jane-doe "$T/export.jsonl"
check "catalog.db and WAL do not mention jane-doe" not_in_files jane-doe "$DB" "$DB-wal"
check "catalog.db and WAL still mention the other artifact's key" in_files misc/other.txt "$DB" "$DB-wal"
check "other artifact's events keep their text" grep -q "misc/other.txt" "$T/export.jsonl"
check "events naming the uid are marked redacted" python3 -c "
import json, sys
ev = [json.loads(l) for l in open('$T/export.jsonl')]
named = [e for e in ev if '$uid' in e['targets'] and e['action'] in ('save', 'load', 'purge.request')]
sys.exit(0 if len(named) == 3 and all(e['redacted_at'] and e['command_line'] == '' and e['details'] is None for e in named) else 1)"
check "certificate counts the redacted events" python3 -c "
import json, sys
ev = [json.loads(l) for l in open('$T/export.jsonl')]
cert = [e for e in ev if e['action'] == 'purge.certificate'][0]['details']
sys.exit(0 if cert['request'] == '$req' and cert['audit_events_redacted'] >= 3 else 1)"
expect_exit 0 "audit verify passes after redaction" cairn audit verify
cairn audit >"$T/list2"
check "listing still shows the events, by uid" grep -q "$uid" "$T/list2"
check_no_match "listing no longer shows the key" -q jane-doe "$T/list2"

finish
