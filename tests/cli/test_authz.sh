#!/usr/bin/env bash
# The authorization matrix (issue 14 item 1): every command that reads,
# writes, deletes or administers (purge request/cancel/run, audit prune,
# load, save, key export/rotate, access grant/revoke, and the catalog-only
# purge status, ls, audit, lineage), with every kind of credential. A refusal
# exits 6, changes nothing and appends a 'denied' event naming the
# credential; cron's purger member may delete but cannot read or write.
source "$(dirname "$0")/lib.sh"

cairn init "$T/p" >/dev/null
cd "$T/p"
DB=.cairn/catalog.db
sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print('\n'.join('|'.join(map(str,x)) for x in r))" "$DB" "$1"; }
member() { # member NAME ROLE : a fresh X25519 key pair, granted
    openssl genpkey -algorithm X25519 -out "$T/$1.pem" && openssl pkey -in "$T/$1.pem" -pubout -out "$T/$1.pub" &&
        cairn access grant "$1" --public-key "$T/$1.pub" --role "$2" >/dev/null
}
member gone reader
cairn access revoke gone >/dev/null # rotates the instance key, so before the rest
member ada admin
member wendy writer
member rita reader
member cron purger
cairn key export-write-only "$T/wo.key" >/dev/null
cairn init "$T/other" >/dev/null
other_key=$(ls "$HOME/.config/cairn/keys/"*.key | grep -v "$(sql "SELECT value FROM instance_info WHERE name = 'instance_id'")")
echo data > d.txt
cairn save d.txt --key k/data >/dev/null

# as CRED CMD... : run cairn with one credential.
as() {
    local cred=$1; shift
    case $cred in
    none) env CAIRN_KEY_FILE="$T/no-such.key" "$CAIRN_BIN" "$@" ;;
    key) "$CAIRN_BIN" "$@" ;;
    write-only) env CAIRN_KEY_FILE="$T/wo.key" "$CAIRN_BIN" "$@" ;;
    foreign-key) env CAIRN_KEY_FILE="$other_key" "$CAIRN_BIN" "$@" ;;
    revoked) env CAIRN_IDENTITY="$T/gone.pem" "$CAIRN_BIN" "$@" ;;
    admin) env CAIRN_IDENTITY="$T/ada.pem" "$CAIRN_BIN" "$@" ;;
    writer) env CAIRN_IDENTITY="$T/wendy.pem" "$CAIRN_BIN" "$@" ;;
    reader) env CAIRN_IDENTITY="$T/rita.pem" "$CAIRN_BIN" "$@" ;;
    purger) env CAIRN_IDENTITY="$T/cron.pem" "$CAIRN_BIN" "$@" ;;
    esac
}
state() { sql "SELECT (SELECT COUNT(*) FROM artifact), (SELECT COUNT(*) FROM deletion_request WHERE state != 'cancelled'),
    (SELECT COUNT(*) FROM audit_anchor), (SELECT COUNT(*) FROM member), (SELECT COUNT(*) FROM member WHERE revoked_at IS NOT NULL),
    (SELECT value FROM instance_info WHERE name = 'key_id')"; }
denied_events() { sql "SELECT COUNT(*) FROM audit_event WHERE result = 'denied'"; }

# expect CRED WANT DESC CMD... : WANT is 0 (allowed) or 6 (denied: nothing
# changed, one more 'denied' event).
expect() {
    local cred=$1 want=$2 d=$3; shift 3
    local before denied
    before=$(state); denied=$(denied_events)
    expect_exit "$want" "$d as $cred" as "$cred" "$@"
    if [ "$want" = 6 ]; then
        check "$d as $cred: nothing changed" [ "$(state)" = "$before" ]
        check "$d as $cred: a denied event" [ "$(denied_events)" = $((denied + 1)) ]
    fi
}

creds="none key write-only foreign-key revoked admin writer reader purger"
for cred in $creds; do
    case $cred in key|admin|purger) may_purge=0 ;; *) may_purge=6 ;; esac
    case $cred in key|admin) may_admin=0 ;; *) may_admin=6 ;; esac
    case $cred in key|admin|writer|reader) may_load=0 ;; *) may_load=6 ;; esac
    case $cred in key|admin|writer|write-only) may_save=0 ;; *) may_save=6 ;; esac

    expect "$cred" "$may_purge" "purge request" purge request k/data --grace 1h
    req=$(sql "SELECT uid FROM deletion_request WHERE state = 'pending' LIMIT 1")
    if [ -n "$req" ]; then
        expect "$cred" "$may_purge" "purge cancel" purge cancel "$req"
        [ "$may_purge" = 0 ] || cairn purge cancel "$req" >/dev/null
    fi
    expect "$cred" "$may_purge" "purge run" purge run
    expect "$cred" "$may_admin" "audit prune" audit prune --before 2000-01-01
    expect "$cred" "$may_load" "load" load k/data -o -
    echo "$cred" > "s-$cred.txt"
    expect "$cred" "$may_save" "save" save "s-$cred.txt" --key "k/by-$cred"
    expect "$cred" 0 "purge status (reads the catalog only)" purge status
    expect "$cred" 0 "ls (reads the catalog only)" ls
    expect "$cred" 0 "audit (reads the catalog only)" audit --limit 1
    expect "$cred" 0 "lineage (reads the catalog only)" lineage k/data
    expect "$cred" "$may_admin" "key export" key export "$T/export-$cred.key"
    check "key export as $cred: a key file exactly when allowed" [ "$([ -e "$T/export-$cred.key" ] && echo 0 || echo 6)" = "$may_admin" ]
    openssl genpkey -algorithm X25519 -out "$T/new-$cred.pem" && openssl pkey -in "$T/new-$cred.pem" -pubout -out "$T/new-$cred.pub"
    expect "$cred" "$may_admin" "access grant" access grant "new-$cred" --public-key "$T/new-$cred.pub" --role reader
    # Revoking and rotating replace the instance key, which the rest of the
    # loop needs: only refusals are run here, the allowed case below.
    if [ "$may_admin" = 6 ]; then
        expect "$cred" 6 "access revoke" access revoke rita
        expect "$cred" 6 "key rotate" key rotate
    fi
done
# The denied events name the credential that was refused.
check "denied event names the purger" [ "$(sql "SELECT COUNT(*) FROM audit_event WHERE result = 'denied' AND action = 'load' AND details LIKE '%cron%purger%'")" -ge 1 ]
check "denied event names the reader" [ "$(sql "SELECT COUNT(*) FROM audit_event WHERE result = 'denied' AND action = 'purge.run' AND details LIKE '%rita%reader%'")" = 1 ]
check "denied event names the write-only key file" [ "$(sql "SELECT COUNT(*) FROM audit_event WHERE result = 'denied' AND action = 'purge.request' AND details LIKE '%write-only key file%'")" = 1 ]
# Every event names the credential that acted (issue 14 item 2), and the
# chain covers it.
cred_of() { sql "SELECT credential FROM audit_event WHERE action = '$1' AND result = '$2' AND credential LIKE '$3' LIMIT 1"; }
key_id=$(sql "SELECT value FROM instance_info WHERE name = 'key_id'")
check "a load by the reader names her" [ -n "$(cred_of load ok "member rita (reader, %)")" ]
check "a save with the key file names its key id" [ "$(cred_of save ok "key file %")" = "key file $key_id" ]
check "a save with the write-only key names it" [ -n "$(cred_of save ok "write-only key file %")" ]
check "a refused purge run names the writer" [ -n "$(cred_of purge.run denied "member wendy (writer, %)")" ]
expect_exit 0 "ls without any key" env CAIRN_KEY_FILE="$T/no-such.key" "$CAIRN_BIN" ls
check "ls without a key: credential none" [ "$(sql "SELECT credential FROM audit_event ORDER BY seq DESC LIMIT 1")" = none ]
cairn audit --action ls --json > "$T/events.json"
check "audit --json shows the credential" grep -q '"credential": "none"' "$T/events.json"
expect_exit 0 "the chain verifies with credentials" cairn audit verify
cp "$DB" "$T/before-edit.db"
sql "UPDATE audit_event SET credential = 'key file $key_id' WHERE credential LIKE 'member rita%'"
expect_exit 4 "an edited credential breaks the chain" cairn audit verify
cp "$T/before-edit.db" "$DB"
rm -f "$DB-wal" "$DB-shm"

# The purger's grant holds no instance key at all.
check "purger grant holds no key" [ "$(sql "SELECT wrapped_instance_key IS NULL FROM member WHERE name = 'cron'")" = 1 ]
# A key file header copied onto a wrong key proves nothing.
python3 - "$(ls "$HOME/.config/cairn/keys/"*.key | grep -v "$other_key")" "$T/forged.key" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
out = []
for line in lines:  # another key under the same key id
    if line.startswith("instance-key: "):
        v = line.split(": ", 1)[1]
        line = "instance-key: " + ("0" if v[0] != "0" else "1") + v[1:]
    out.append(line)
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
chmod 600 "$T/forged.key"
before=$(state)
expect_exit 4 "purge request with a forged key file" env CAIRN_KEY_FILE="$T/forged.key" "$CAIRN_BIN" purge request k/data --grace 1h
expect_err_contains "does not match its key id"
check "forged key file changed nothing" [ "$(state)" = "$before" ]
# The allowed rotate and revoke, once each, by the two admin credentials
# (rotating by the key file first: a rotation by a member leaves it stale).
key_id_before=$(sql "SELECT value FROM instance_info WHERE name = 'key_id'")
expect key 0 "key rotate" key rotate
check "key rotate changed the key id" [ "$(sql "SELECT value FROM instance_info WHERE name = 'key_id'")" != "$key_id_before" ]
expect admin 0 "access revoke" access revoke new-key
check "access revoke by the admin member revoked" [ -n "$(sql "SELECT revoked_at FROM member WHERE name = 'new-key'")" ]
expect admin 0 "load after both" load k/data -o -
check "load after both: the content" [ "$(cat "$T/out")" = data ]
finish
