#!/usr/bin/env bash
# Storage faults with the real binary against radosgw behind
# tests/s3/fault_proxy.py (label s3): 503 bursts, slow responses, a server
# slower than the timeout, and the server or cairn killed mid multipart
# upload. After each fault the artifact is either fully saved and loads back
# byte-identical, or there is no artifact and, once cairn can reach the server
# again, no object version and no unfinished multipart upload that the catalog
# does not know (as /usr/bin/aws sees the bucket). Outcomes only: no timings.
source "$CAIRN_SOURCE_DIR/tests/cli/lib.sh"
source "$CAIRN_SOURCE_DIR/tests/s3/lib_s3.sh"
use_gateway
# The endpoint must come from config.yaml, which the test points at the proxy.
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
bucket=cairn-faults-$(date +%s)-$$
make_bucket "$bucket" versioned

proxy_pid=
at_exit '[ -z "$proxy_pid" ] || kill -9 "$proxy_pid" 2>/dev/null'

cairn init proj --storage "s3://$bucket/inst" --endpoint "$S3_ENDPOINT" --allow-http --addressing path >/dev/null
cd proj

# start_proxy ARGS... : a fault proxy in front of radosgw, and config.yaml
# pointed at it. Its request log is $proxy_log.
proxy_n=0
start_proxy() {
    proxy_n=$((proxy_n + 1))
    proxy_log=$T/proxy-$proxy_n.log
    : > "$proxy_log"
    python3 "$CAIRN_SOURCE_DIR/tests/s3/fault_proxy.py" --listen 0 --target "${S3_ENDPOINT##*:}" \
        --log "$proxy_log" "$@" > "$T/proxy-$proxy_n.out" &
    proxy_pid=$!
    local port
    port=$(wait_for_proxy "$T/proxy-$proxy_n.out" "$proxy_pid") || s3_die "fault proxy did not start"
    sed -i "s#endpoint: .*#endpoint: http://127.0.0.1:$port#" .cairn/config.yaml
}
# stop_proxy : kill it (if still alive) and point config.yaml at radosgw again.
stop_proxy() {
    kill -9 "$proxy_pid" 2>/dev/null || true
    wait "$proxy_pid" 2>/dev/null || true
    proxy_pid=
    sed -i "s#endpoint: .*#endpoint: $S3_ENDPOINT#" .cairn/config.yaml
}
# wait_for_log PATTERN : until the proxy logged a matching request; false
# after a minute.
wait_for_log() {
    local deadline=$((SECONDS + 60))
    until grep -qE "$1" "$proxy_log"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}
logged() { grep -cE "$1" "$proxy_log" || true; }

sql() { python3 -c "import sqlite3, sys; [print(*r, sep='\t') for r in sqlite3.connect('.cairn/catalog.db').execute(sys.argv[1])]" "$1"; }
# Every object version and delete marker under the instance prefix, one
# "KIND KEY" line each, sorted; and the keys of unfinished uploads.
stored_versions() {
    s3api list-object-versions --bucket "$bucket" --prefix inst/ --output json | python3 -c '
import json, sys
text = sys.stdin.read()
d = json.loads(text) if text.strip() else {}
# Published audit checkpoints (docs/AUDIT.md, Anchors) are no catalog objects.
ours = lambda v: not v["Key"][5:].startswith("audit/checkpoints/")
lines = ["version " + v["Key"][5:] for v in d.get("Versions", []) if ours(v)]
lines += ["marker " + v["Key"][5:] for v in d.get("DeleteMarkers", []) if ours(v)]
print("\n".join(sorted(lines)))'
}
unfinished_uploads() {
    s3api list-multipart-uploads --bucket "$bucket" --prefix inst/ --output json | python3 -c '
import json, sys
text = sys.stdin.read()
print("\n".join(sorted(u["Key"][5:] for u in (json.loads(text) if text.strip() else {}).get("Uploads", []))))'
}
catalog_versions() { sql "select 'version ' || object_name from artifact where object_name is not null" | sort; }
# no_artifact KEY DESCRIPTION : cairn ls ran (exit 0) and lists no artifact
# KEY; a cairn that failed to list proves nothing. Leaves $T/out and $T/err
# (the last expect_exit's) alone.
no_artifact() {
    local rc=0
    "$CAIRN_BIN" ls --json > "$T/ls.json" 2> "$T/ls.err" || rc=$?
    if [ "$rc" != 0 ]; then fail "$2: cairn ls exited $rc: $(head -c 300 "$T/ls.err")"; return; fi
    check_not "$2" grep -q "\"$1\"" "$T/ls.json"
}

# The bucket holds one version of each object the catalog knows, nothing
# else, and no unfinished upload.
check_store_matches_catalog() {
    local stored known uploads
    stored=$(stored_versions)
    known=$(catalog_versions)
    uploads=$(unfinished_uploads)
    check "$1: the bucket holds exactly the catalog's objects (stored: $stored; known: $known)" \
        [ "$stored" = "$known" ]
    check "$1: no unfinished multipart upload ($uploads)" [ -z "$uploads" ]
}

# The one unfinished upload in the bucket is that of the one pending_upload row.
only_pending_upload_unfinished() {
    local pending uploads
    pending=$(sql 'select object_name from pending_upload')
    uploads=$(unfinished_uploads)
    echo "pending: [$pending], unfinished uploads: [$uploads]" >&2
    [ -n "$pending" ] && [ "$uploads" = "$pending" ]
}

# recover NAME : the server answers again; a save cleans up what failed or
# killed saves left (their pending_upload rows, aged past the hour that
# protects saves still running on other hosts).
recover() {
    python3 -c "import sqlite3; c = sqlite3.connect('.cairn/catalog.db'); c.execute('update pending_upload set started_at = started_at - 7200000'); c.commit()"
    echo "recovery after $1" > "recover-$1.txt"
    expect_exit 0 "$1: a save once the server answers again" cairn save "recover-$1.txt" --key "recover/$1"
    check "$1: no pending upload left" [ "$(sql 'select count(*) from pending_upload')" = 0 ]
}

# loads_back KEY FILE : the artifact downloads (cache emptied) byte-identical.
loads_back() {
    rm -rf "$XDG_CACHE_HOME/cairn"
    expect_exit 0 "load $1" cairn load "$1" -o "$T/loaded"
    check "$1 loads back byte-identical" same_file "$2" "$T/loaded"
    rm -f "$T/loaded"
}

# Above the 64 MiB multipart threshold: five parts.
head -c $((70 << 20)) /dev/urandom > big.bin
head -c 300000 /dev/urandom > small.bin

echo "== a burst of 503s on PUT, shorter than the retry budget"
start_proxy --fail '^PUT ,1,3'
expect_exit 0 "save through three 503s" cairn save small.bin --key f/burst
check "three 503s were served ($(logged ' 503$'))" [ "$(logged ' 503$')" = 3 ]
put_path=$(awk '$2 == "PUT" && $4 == "503" {print $3}' "$proxy_log" | sort -u)
check "the refused PUT was retried until it went through" \
    [ "$(awk -v p="$put_path" '$2 == "PUT" && $3 == p && $4 == "forward"' "$proxy_log" | wc -l)" = 1 ]
check "the single PUT was verified by its ETag, without a HEAD ($(logged '^[0-9]+ HEAD '))" \
    [ "$(logged '^[0-9]+ HEAD ')" = 0 ]
stop_proxy
loads_back f/burst small.bin
check_store_matches_catalog "503 burst"

echo "== 503s on one multipart part until its upload fails, then on the abort"
start_proxy --fail '^PUT .*partNumber=1&,1,3' --fail '^DELETE .*uploadId=,1,1'
expect_exit 0 "multipart save through 503s" cairn save big.bin --key f/big
check "four 503s were served ($(logged ' 503$'))" [ "$(logged ' 503$')" = 4 ]
check "a second upload was started" [ "$(logged '^[0-9]+ POST .*uploads= forward$')" = 2 ]
check "the refused abort was sent again" [ "$(logged '^[0-9]+ DELETE .*uploadId=.* forward$')" = 1 ]
check "the multipart upload's size was checked with a HEAD" [ "$(logged '^[0-9]+ HEAD .* forward$')" = 1 ]
stop_proxy
loads_back f/big big.bin
check_store_matches_catalog "multipart 503s"

echo "== 503s on every PUT: more than the retry budget"
start_proxy --fail '^PUT ,1,1000'
expect_exit 5 "save against a throttling server" cairn save small.bin --key f/never
expect_err_contains "503"
echo "   cairn said: $(head -c 400 "$T/err")"
check "the PUT was retried before giving up ($(logged '^[0-9]+ PUT .* 503$'))" [ "$(logged '^[0-9]+ PUT .* 503$')" -ge 2 ]
no_artifact f/never "no artifact for the failed save"
check "the failed save removed its pending upload itself" [ "$(sql 'select count(*) from pending_upload')" = 0 ]
stop_proxy
check_store_matches_catalog "503s beyond the budget"

echo "== 503s on completing a multipart upload: only the completion is sent again"
start_proxy --fail '^POST .*uploadId=,1,2'
expect_exit 0 "multipart save through 503s on its completion" cairn save big.bin --key f/complete
check "two completions were refused ($(logged '^[0-9]+ POST .*uploadId=.* 503$'))" \
    [ "$(logged '^[0-9]+ POST .*uploadId=.* 503$')" = 2 ]
check "the third completion went through" [ "$(logged '^[0-9]+ POST .*uploadId=.* forward$')" = 1 ]
check "one upload was started ($(logged '^[0-9]+ POST .*uploads= '))" [ "$(logged '^[0-9]+ POST .*uploads= ')" = 1 ]
check "each of the five parts was sent once ($(logged '^[0-9]+ PUT .*partNumber='))" \
    [ "$(logged '^[0-9]+ PUT .*partNumber=')" = 5 ]
stop_proxy
loads_back f/complete big.bin
check_store_matches_catalog "completion 503s"

echo "== the server completes an upload but its answer is lost"
printf 'another big file' | cat - big.bin > big2.bin
start_proxy --fail '^POST .*uploadId=,1,1,after503'
expect_exit 0 "multipart save whose completion answer was lost" cairn save big2.bin --key f/completed-unseen
check "the completion reached the server, then was sent again" \
    [ "$(logged '^[0-9]+ POST .*uploadId=.* (after503|forward)$')" = 2 ]
check "each of the five parts was sent once ($(logged '^[0-9]+ PUT .*partNumber='))" \
    [ "$(logged '^[0-9]+ PUT .*partNumber=')" = 5 ]
check "no abort was sent" [ "$(logged '^[0-9]+ DELETE ')" = 0 ]
check "the stored size was checked with a HEAD" [ "$(logged '^[0-9]+ HEAD .* forward$')" = 1 ]
stop_proxy
loads_back f/completed-unseen big2.bin
check_store_matches_catalog "lost completion answer"

echo "== a load balancer's own 503 page is an outage, not a foreign endpoint"
head -c 300000 /dev/urandom > small2.bin
start_proxy --fail '^PUT ,1,2,html503'
expect_exit 0 "save through two 503 pages" cairn save small2.bin --key f/balancer
check "two 503 pages were served" [ "$(logged ' html503$')" = 2 ]
stop_proxy
start_proxy --fail '^PUT ,1,1000,html503'
expect_exit 5 "save against a balancer with no server behind it" cairn save small.bin --key f/no-server
expect_err_contains "is unavailable or throttling (HTTP 503)"
echo "   cairn said: $(head -c 400 "$T/err")"
check_no_match "not called a foreign endpoint" -qF "does not look like an S3 service" "$T/err"
check "the PUT was retried ($(logged ' html503$'))" [ "$(logged ' html503$')" -ge 2 ]
stop_proxy
loads_back f/balancer small2.bin
check_store_matches_catalog "balancer pages"

echo "== saves refused with 403 leave no pending upload behind"
start_proxy --fail '^PUT ,1,1000,403' --fail '^POST .*uploads=,1,1000,403' --fail '^DELETE ,1,1000,403'
expect_exit 5 "single PUT refused with 403" cairn save small.bin --key f/denied
expect_err_contains "access denied"
expect_exit 5 "multipart upload refused with 403" cairn save big.bin --key f/denied-big
expect_err_contains "access denied"
check "nothing was removed: nothing was stored ($(logged '^[0-9]+ DELETE '))" [ "$(logged '^[0-9]+ DELETE ')" = 0 ]
check "no pending upload row ($(sql 'select count(*) from pending_upload'))" [ "$(sql 'select count(*) from pending_upload')" = 0 ]
no_artifact f/denied "no artifact for the refused save"
stop_proxy
check_store_matches_catalog "403"

echo "== a part refused with 403 after the upload started: aborted, nothing left"
start_proxy --fail '^PUT .*partNumber=3&,1,1,403'
expect_exit 5 "multipart upload with a refused part" cairn save big.bin --key f/denied-part
check "the upload was aborted" [ "$(logged '^[0-9]+ DELETE .*uploadId=.* forward$')" = 1 ]
check "no pending upload row after the abort" [ "$(sql 'select count(*) from pending_upload')" = 0 ]
stop_proxy
check_store_matches_catalog "refused part"

echo "== slow responses within the timeout"
start_proxy --delay 1.5
head -c 200000 /dev/urandom > slow.bin
expect_exit 0 "save through a slow server" cairn save slow.bin --key f/slow
rm -rf "$XDG_CACHE_HOME/cairn"
expect_exit 0 "load through a slow server" cairn load f/slow -o slow.out
check "f/slow loads back byte-identical through the slow server" same_file slow.bin slow.out
check "the requests went through the slow proxy ($(logged ' forward$'))" [ "$(logged ' forward$')" -ge 2 ]
stop_proxy
check_store_matches_catalog "slow server"

echo "== a server slower than CAIRN_STORAGE_TIMEOUT"
start_proxy --delay 4
head -c 200000 /dev/urandom > late.bin
CAIRN_STORAGE_TIMEOUT=1 expect_exit 5 "save against a server slower than the timeout" \
    cairn save late.bin --key f/late
expect_err_contains "timed out"
echo "   cairn said: $(head -c 400 "$T/err")"
expect_err_contains "cannot upload"
no_artifact f/late "no artifact for the timed-out save"
stop_proxy
# The server stored what the timed-out PUTs sent; cairn must know every such object.
unknown=$(comm -23 <(stored_versions | awk '{print $2}' | sort -u) \
    <( (catalog_versions | awk '{print $2}'; sql 'select object_name from pending_upload') | sort -u))
check "every stored object is in the catalog or pending cleanup ($unknown)" [ -z "$unknown" ]
recover timeout
check_store_matches_catalog "timeout"

echo "== the server is killed mid multipart upload"
start_proxy --stall '^PUT .*partNumber='
"$CAIRN_BIN" save big.bin --key f/killed-server > "$T/save.out" 2> "$T/save.err" &
save_pid=$!
check "parts were in flight" wait_for_log ' stall$'
{ kill -9 "$proxy_pid"; wait "$proxy_pid"; } 2>/dev/null || true
rc=0
wait "$save_pid" || rc=$?
check "save fails with a storage error once the server is gone (exit $rc: $(head -c 300 "$T/save.err"))" [ "$rc" = 5 ]
no_artifact f/killed-server "no artifact for the interrupted save"
check "the failed save's upload could not be aborted with the server gone" only_pending_upload_unfinished
stop_proxy
recover killed-server
check_store_matches_catalog "server killed"

echo "== cairn is killed mid multipart upload"
start_proxy --stall '^PUT .*partNumber='
"$CAIRN_BIN" save big.bin --key f/killed-cairn > /dev/null 2>&1 &
save_pid=$!
check "parts were in flight" wait_for_log ' stall$'
{ kill -9 "$save_pid"; wait "$save_pid"; } 2>/dev/null || true
stop_proxy
no_artifact f/killed-cairn "no artifact for the killed save"
check "the killed save left its upload unfinished" only_pending_upload_unfinished
recover killed-cairn
check_store_matches_catalog "cairn killed"

echo "== purge through 503s on version listings and batch deletes"
start_proxy --fail '^GET .*versions,1,2' --fail '^POST .*delete,1,2'
expect_exit 0 "purge request" cairn purge request f/burst f/big --reason "fault test"
expect_exit 0 "purge run through 503s" cairn purge run
check "listings and deletes were refused and retried ($(logged ' 503$'))" [ "$(logged ' 503$')" = 4 ]
check "the purge run published an audit checkpoint" [ "$(s3api list-objects-v2 --bucket "$bucket" --prefix inst/audit/checkpoints/ --query 'length(Contents)' --output text)" -ge 1 ]
stop_proxy
no_artifact f/burst "f/burst is gone"
no_artifact f/big "f/big is gone"
check_store_matches_catalog "purge"

finish
