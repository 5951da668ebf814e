#!/usr/bin/env bash
# Many machines, one instance: 16 processes acting as 4 hosts (each its own
# HOME, XDG directories, cache and recorded audit head) save, load, run and
# purge at the same time against one PostgreSQL catalog (a throwaway
# cluster, pg_virtualenv) and one radosgw bucket. Host 1 is the owner's
# machine (a copy of the .cairn init made, and the key file); hosts 2-4 are
# set up with 'cairn connect' and act as members, each with its own member
# key and signing key. No version is lost or duplicated, the trail stays
# linear and verifies from every host, every member's events are signed
# with their own key, purged objects are gone, and every command exits 0 or
# a documented code.
set -euo pipefail
CAIRN_PG_SERVER_OPTIONS="-c max_connections=60" source "$(dirname "$0")/../pg/in_cluster.sh"
pg_user=$PGUSER pg_port=$PGPORT pg_db=$PGDATABASE
source "$CAIRN_SOURCE_DIR/tests/cli/lib.sh"
source "$CAIRN_SOURCE_DIR/tests/s3/lib_s3.sh"
use_gateway
bucket=cairn-hosts-$(date +%s)-$$
make_bucket "$bucket" versioned
url="postgresql://$pg_user@127.0.0.1:$pg_port/$pg_db?sslmode=disable"
psql_q() { psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d "$pg_db" -tAc "$1"; }

expect_exit 0 "init: catalog in PostgreSQL, objects in radosgw" \
    cairn init "$T/h0/proj" --catalog "$url" --allow-plain-catalog \
    --storage "s3://$bucket/team" --endpoint "$S3_ENDPOINT" --allow-http --addressing path
key_file=$(ls "$XDG_CONFIG_HOME"/cairn/keys/*.key)

hosts=4 per_host=4 rounds=4
# as_host H CMD... : runs cairn as host H would (its own HOME and XDG dirs;
# on hosts 2-4 as member hostH, with its member key and signing key).
as_host() {
    local h=$1 home=$T/h$1/home; shift
    local member=()
    [ "$h" = 1 ] || member=(CAIRN_IDENTITY="$T/host$h.pem" CAIRN_SIGNING_KEY="$T/host$h.sign.pem")
    env HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_CACHE_HOME="$home/.cache" \
        XDG_STATE_HOME="$home/.local/state" CAIRN_INSTANCE="$T/h$h/proj" "${member[@]}" "$CAIRN_BIN" "$@"
}
for h in $(seq $hosts); do
    home=$T/h$h/home
    mkdir -p "$home/.config/cairn/keys" "$T/h$h/proj" "$T/h$h/work"
    if [ "$h" = 1 ]; then
        cp -a "$T/h0/proj/.cairn" "$T/h$h/proj/"
        cp "$key_file" "$home/.config/cairn/keys/" && chmod 600 "$home/.config/cairn/keys/"*
        continue
    fi
    openssl genpkey -algorithm X25519 -out "$T/host$h.pem" 2>/dev/null && chmod 600 "$T/host$h.pem"
    openssl pkey -in "$T/host$h.pem" -pubout -out "$T/host$h.pub"
    openssl genpkey -algorithm ed25519 -out "$T/host$h.sign.pem" 2>/dev/null && chmod 600 "$T/host$h.sign.pem"
    openssl pkey -in "$T/host$h.sign.pem" -pubout -out "$T/host$h.sign.pub"
    expect_exit 0 "grant host $h's member (admin: saves and purges)" cairn --instance "$T/h0/proj" access grant "host$h" \
        --public-key "$T/host$h.pub" --signing-key "$T/host$h.sign.pub" --role admin
    expect_exit 0 "host $h connects" as_host "$h" connect "$url" --dir "$T/h$h/proj" --allow-plain-catalog \
        --endpoint "$S3_ENDPOINT" --allow-http --addressing path
done
# One worker: its own files, a key all workers share, a run with lineage,
# and a purge of its first file. Each command's exit code goes to the log.
worker() {
    local h=$1 p=$2 dir=$T/h$1/work/p$2 i code run
    mkdir -p "$dir"
    log() { echo "$h $p $1 $2" >> "$T/codes.$h.$p"; }
    for i in $(seq $rounds); do
        printf 'host %s worker %s round %s\n' "$h" "$p" "$i" > "$dir/f$i"
        code=0; as_host "$h" save "$dir/f$i" --key "h$h/p$p/f$i" >/dev/null 2>>"$dir/err" || code=$?; log save "$code"
        code=0; as_host "$h" save "$dir/f$i" --key shared/k >/dev/null 2>>"$dir/err" || code=$?; log shared "$code"
        code=0; as_host "$h" load shared/k -o "$dir/shared.out" -f >/dev/null 2>>"$dir/err" || code=$?; log load "$code"
        if [ "$i" = 2 ]; then
            run=$(as_host "$h" run start --transform "t$h$p" 2>>"$dir/err" | head -1) || true
            code=0; CAIRN_RUN=$run as_host "$h" load "h$h/p$p/f2" -o "$dir/in" -f >/dev/null 2>>"$dir/err" || code=$?; log run_load "$code"
            code=0; CAIRN_RUN=$run as_host "$h" save "$dir/in" --key "h$h/p$p/derived" >/dev/null 2>>"$dir/err" || code=$?; log run_save "$code"
            code=0; CAIRN_RUN=$run as_host "$h" run finish >/dev/null 2>>"$dir/err" || code=$?; log run_finish "$code"
        fi
        if [ "$i" = 3 ]; then
            code=0; as_host "$h" purge request "h$h/p$p/f1" --grace 0 --reason test >/dev/null 2>>"$dir/err" || code=$?; log purge_request "$code"
            code=0; as_host "$h" purge run >/dev/null 2>>"$dir/err" || code=$?; log purge_run "$code"
        fi
    done
}
pids=()
for h in $(seq $hosts); do for p in $(seq $per_host); do worker "$h" "$p" & pids+=($!); done; done
started=$SECONDS
for pid in "${pids[@]}"; do wait "$pid"; done
echo "test_hosts_pg: $((hosts * per_host)) workers finished in $((SECONDS - started)) s" >&2

# --- every command: 0, or a code documented for what it met ---------------------
# purge run exits 0, or 9 while something is outstanding (a working copy on
# another host, which that host's next command destroys), or 8 while another
# host's run holds the purge lock.
cat "$T"/codes.* > "$T/codes"
check "every worker logged every command" test "$(wc -l < "$T/codes")" = $((hosts * per_host * (rounds * 3 + 5)))
bad=$(awk '!(($3 == "purge_run" && ($4 == 0 || $4 == 9 || $4 == 8)) || ($3 != "purge_run" && $4 == 0))' "$T/codes")
check "no undocumented exit code (${bad:-none}) $(cat "$T"/h*/work/p*/err | grep -v 'write-ahead log\|^request \|^  \|purge run is in progress' | head -3)" test -z "$bad"

# A request made while another host's run was under way waits for the next run;
# each host's next command destroys its own working copies of purged artifacts.
for h in $(seq $hosts); do as_host "$h" ls >/dev/null; done
expect_exit 0 "a last purge run finishes what is left, with a certificate" as_host 1 purge run
check "every request has its certificate" \
    test "$(psql_q "SELECT count(*) FROM deletion_request WHERE certificate IS NULL")" = 0

# --- no lost or duplicated version; a linear trail ----------------------------------
shared_ok=$(awk '$3 == "shared" && $4 == 0' "$T/codes" | wc -l)
check "shared/k has versions 1..$shared_ok, each once" \
    test "$(psql_q "SELECT count(DISTINCT version) || ' ' || min(version) || ' ' || max(version) || ' ' || count(*) FROM artifact WHERE key = 'shared/k'")" = "$shared_ok 1 $shared_ok $shared_ok"
own=$(psql_q "SELECT count(*) || ' ' || count(DISTINCT key) || ' ' || max(version) FROM artifact WHERE key ~ '^h[0-9]+/p[0-9]+/f[0-9]+\$'")
check "each worker's own keys (but the purged first) saved once each: $own" test "$own" = "$((hosts * per_host * (rounds - 1))) $((hosts * per_host * (rounds - 1))) 1"
check "lineage: each derived artifact names its input" \
    test "$(psql_q "SELECT count(*) FROM artifact a JOIN run_input i ON i.run_id = a.run_id WHERE a.key LIKE '%/derived'")" = $((hosts * per_host))
check "seq has no gap and no repeat" test "$(psql_q "SELECT max(seq) - count(*) FROM audit_event")" = 0
for h in $(seq $hosts); do
    expect_exit 0 "audit verify from host $h (its recorded head is in the trail)" as_host "$h" audit verify
done
for h in $(seq 2 $hosts); do
    signer=$(psql_q "SELECT DISTINCT signer FROM audit_event WHERE credential LIKE 'member host$h %'")
    check "host $h's events are all signed by one key, its own ($signer)" \
        test "$(grep -c . <<<"$signer")" = 1 -a "$signer" != "$(psql_q "SELECT signer FROM audit_event WHERE seq = 1")"
done
check "every event is signed" test "$(psql_q "SELECT count(*) FROM audit_event WHERE signature IS NULL")" = 0

# --- purges: the objects are gone -------------------------------------------------------
check "some purge runs met another host's run (exit 8)" grep -q "purge_run 8" "$T/codes"
check "every purged artifact is deleted" \
    test "$(psql_q "SELECT count(*) FROM artifact WHERE state = 'deleted'")" = $((hosts * per_host))
gone_objects=$(psql_q "SELECT object_name FROM deletion_target WHERE object_name IS NOT NULL
                      UNION SELECT key_object FROM deletion_target WHERE key_object IS NOT NULL" | sort)
check "each purged artifact's key object was recorded" \
    test "$(psql_q "SELECT count(*) FROM deletion_target WHERE key_object IS NULL")" = 0
listed=$(s3api list-object-versions --bucket "$bucket" --prefix team/ --output text --query 'Versions[].Key' | tr '\t' '\n' | sed 's#^team/##' | sort)
check "no purged object or key object has a version left in the bucket" test -z "$(comm -12 <(echo "$gone_objects") <(echo "$listed"))"
check "and the bucket still holds the rest" test "$(echo "$listed" | grep -c .)" -ge $((hosts * per_host * 2))

finish
