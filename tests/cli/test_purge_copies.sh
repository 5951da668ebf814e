#!/usr/bin/env bash
# purge and the copies load made elsewhere (issue 13): a working copy in
# another cache, on a second host and in a second account is found and
# destroyed by the next cairn command there, and until then the request
# stays incomplete (exit 9) with the copy listed in 'purge status'; a long
# reader keeps the certificate back; a residue scan of every file cairn
# writes finds nothing of the purged artifact afterwards.
source "$(dirname "$0")/lib.sh"

SCAN="$CAIRN_SOURCE_DIR/tests/cli/residue_scan.py"
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root: the test makes a second account and a second host name" >&2; exit 1; }

# sql DB "SELECT ..." : prints the rows, '|'-separated (blobs as hex).
sql() { python3 - "$1" "$2" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for row in c.execute(sys.argv[2]):
    print("|".join("" if v is None else (v.hex() if isinstance(v, bytes) else str(v)) for v in row))
c.commit()
PY
}
# cert DB REQ PYEXPR : evaluates PYEXPR over the request's certificate `c`.
cert() { python3 - "$1" "$2" "$3" <<'PY'
import sqlite3, sys, json
row = sqlite3.connect(sys.argv[1]).execute("SELECT certificate FROM deletion_request WHERE uid = ?", (sys.argv[2],)).fetchone()
c = json.loads(row[0]) if row and row[0] else None
print(eval(sys.argv[3]))
PY
}
as_host() { local h=$1; shift; unshare --uts sh -c 'hostname "$0" && exec "$@"' "$h" "$CAIRN_BIN" "$@"; }
# as_nobody ARGS : cairn as the second account (cron), with its own cache.
as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent XDG_CACHE_HOME="$T/nobody-cache" \
        CAIRN_IDENTITY="$T/nobody-cache/cron.pem" \
        "$CAIRN_BIN" "$@"
}

# new_instance DIR : an instance with one secret artifact people/carol.bin,
# saved; sets DB, UID_, WRAPPED, PLAIN (hex of the first 64 bytes).
new_instance() {
    cairn init "$1" >/dev/null && cd "$1" || return 1
    DB=$1/.cairn/catalog.db
    head -c 300000 /dev/urandom > secret.bin
    PLAIN=$(head -c 64 secret.bin | od -An -tx1 | tr -d ' \n')
    UID_=$(cairn save secret.bin --key people/carol.bin)
    rm secret.bin
    WRAPPED=$(sql "$DB" "SELECT wrapped_key FROM artifact WHERE uid = '$UID_'")
}

# --- Same account, another cache: purge destroys the recorded path --------
new_instance "$T/a"
wc=$(XDG_CACHE_HOME="$T/shell-cache" cairn load people/carol.bin)
check "working copy made in the shell's cache" [ -f "$wc" ]
check "load recorded the working copy" [ "$(sql "$DB" "SELECT kind, path FROM local_copy WHERE path IS NOT NULL")" = "working_copy|$(dirname "$wc")" ]
req=$(cairn purge request people/carol.bin --grace 0)
expect_exit 0 "purge run from cron's cache" env XDG_CACHE_HOME="$T/cron-cache" "$CAIRN_BIN" purge run
check_not "working copy in the other cache destroyed" [ -e "$wc" ]
check_not "its directory too" [ -e "$(dirname "$wc")" ]
check "certificate lists the working copy, removed" [ "$(cert "$DB" "$req" "[(x['kind'], x['path'], x['verified']) for x in c['artifacts'][0]['copies']]")" = "[('working_copy', '$(dirname "$wc")', 'removed, then seen absent')]" ]
check "certificate: catalog bytes scanned" [ "$(cert "$DB" "$req" "c['artifacts'][0]['catalog_bytes_scanned']")" = True ]
exit_of rc python3 "$SCAN" --hex plain="$PLAIN" --hex wrapped="$WRAPPED" --text name=people/carol.bin "$T/a" "$T/shell-cache" "$T/cron-cache"
check "residue scan: no plaintext, no wrapped key anywhere (rc $rc)" [ "$rc" = 0 ]

# An export with -o is listed as outside cairn's custody, never claimed destroyed.
uid2=$(echo data > d.txt && cairn save d.txt --key people/dave.txt)
cairn load people/dave.txt -o exported.txt
req2=$(cairn purge request people/dave.txt --grace 0)
expect_exit 0 "purge run with an export" cairn purge run
check "export listed as outside custody" [ "$(cert "$DB" "$req2" "[(x['kind'], 'outside' in x['custody'], 'destroyed_at' in x, 'path' in x) for x in c['artifacts'][0]['copies']]")" = "[('file', True, False, False)]" ]
check "the user's export is left alone" [ "$(cat exported.txt)" = data ]

# A recorded path that is not shaped like cairn's own is never removed.
mkdir -p "$T/victim" && echo keep > "$T/victim/f"
sql "$DB" "INSERT INTO local_copy (artifact_id, kind, host, os_user, os_uid, path, created_at, doomed_at)
           SELECT id, 'working_copy', '$(hostname)', 'root', 0, '$T/victim', 1, 1 FROM artifact WHERE uid = '$uid2'"
expect_exit 0 "a command with a hostile copy row still runs" cairn ls
expect_err_contains "not a working copy directory"
check "hostile path left alone" [ "$(cat "$T/victim/f")" = keep ]

# --- Second host: the copy is outstanding until a command runs there ---------
new_instance "$T/b"
wc=$(XDG_CACHE_HOME="$T/laptop-cache" as_host laptop-7 load people/carol.bin)
check "working copy on laptop-7" [ -f "$wc" ]
req=$(cairn purge request people/carol.bin --grace 0)
expect_exit 9 "purge run cannot destroy another host's copy" cairn purge run
expect_err_contains "laptop-7"
check "no certificate while a copy is outstanding" [ -z "$(sql "$DB" "SELECT certificate FROM deletion_request WHERE uid = '$req'")" ]
expect_exit 0 "purge status" cairn purge status
check "status lists the copy and the deadline" grep -q "not yet destroyed: working copy $(dirname "$wc") of artifact $UID_, account root on host laptop-7 (request $req, deadline" "$T/out"
cairn purge status --json > "$T/status.json"
check "status --json lists it" [ "$(python3 -c "import json; print([c['host'] for c in json.load(open('$T/status.json'))['outstanding_copies']])")" = "['laptop-7']" ]
check "the copy survives so far" [ -f "$wc" ]
# Any command on laptop-7 destroys it, even with another cache configured.
XDG_CACHE_HOME="$T/other-cache" as_host laptop-7 ls >/dev/null
check_not "ls on laptop-7 destroyed the working copy" [ -e "$wc" ]
check "purge.copies event recorded" [ "$(sql "$DB" "SELECT host, targets FROM audit_event WHERE action = 'purge.copies'")" = "laptop-7|[\"$UID_\"]" ]
expect_exit 0 "purge run completes" cairn purge run
check "certificate: destroyed on laptop-7 by root" [ "$(cert "$DB" "$req" "[(x['host'], x['destroyed_by']) for x in c['artifacts'][0]['copies']]")" = "[('laptop-7', 'root')]" ]
exit_of rc python3 "$SCAN" --hex plain="$PLAIN" --hex wrapped="$WRAPPED" --text name=people/carol.bin "$T/b" "$T/laptop-cache"
check "residue scan after a second host (rc $rc)" [ "$rc" = 0 ]

# --- Second account: cron (nobody) cannot remove root's copy -----------------
new_instance "$T/c"
wc=$(XDG_CACHE_HOME="$T/root-cache" cairn load people/carol.bin)
req=$(cairn purge request people/carol.bin --grace 0)
mkdir -p "$T/nobody-cache"
# cron's credential: a purger member (it may delete, it cannot read).
openssl genpkey -algorithm X25519 -out "$T/nobody-cache/cron.pem" && openssl pkey -in "$T/nobody-cache/cron.pem" -pubout -out "$T/cron.pub"
cairn access grant cron --public-key "$T/cron.pub" --role purger >/dev/null
chown -R 65534:65534 "$T/c" "$T/nobody-cache"
chmod 755 "$T"
expect_exit 9 "purge run as another account" as_nobody purge run
expect_err_contains "of account root on host $(hostname)"
check "root's working copy still there" [ -f "$wc" ]
XDG_CACHE_HOME="$T/root-cache" cairn ls >/dev/null
check_not "root's next command destroyed it" [ -e "$wc" ]
expect_exit 0 "cron's next run completes" as_nobody purge run
check "certificate issued" [ "$(cert "$DB" "$req" "c['artifacts'][0]['copies'][0]['destroyed_by']")" = root ]

# --- A long reader keeps old pages: no certificate until it ends -------------
new_instance "$T/d"
req=$(cairn purge request people/carol.bin --grace 0)
python3 - "$DB" "$T/reader" <<'PY' &
import sqlite3, sys, os, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN")
c.execute("SELECT COUNT(*) FROM artifact").fetchone()
open(sys.argv[2] + ".started", "w").close()
while not os.path.exists(sys.argv[2] + ".stop"):
    time.sleep(0.05)
c.execute("COMMIT")
PY
bg_started $!
reader=$!
wait_until "reader holds its snapshot" 20 test -e "$T/reader.started"
expect_exit 9 "purge run with a long reader" cairn purge run
expect_err_contains "read transaction"
check "no certificate while the reader runs" [ -z "$(sql "$DB" "SELECT certificate FROM deletion_request WHERE uid = '$req'")" ]
touch "$T/reader.stop"
wait_exit reader_rc 10 "$reader"
check "reader ended cleanly" [ "$reader_rc" = 0 ]
expect_exit 0 "purge run after the reader ended" cairn purge run
check "certificate issued" [ "$(cert "$DB" "$req" "c['artifacts'][0]['catalog_bytes_scanned']")" = True ]
exit_of rc python3 "$SCAN" --hex wrapped="$WRAPPED" "$T/d/.cairn"
check "wrapped key gone from the catalog's files (rc $rc)" [ "$rc" = 0 ]

# The scanner itself can fail: it finds what is there.
exit_of rc python3 "$SCAN" --text name=residue_scan "$T/d/.cairn/config.yaml" "$SCAN"
check "residue scan finds a planted needle (rc $rc)" [ "$rc" = 1 ]
exit_of rc python3 "$SCAN" --text x=y "$T/nonexistent"
check "residue scan of nothing is an error (rc $rc)" [ "$rc" = 2 ]

finish
