# Shared helpers for the S3 tests (tests/s3/test_*.sh): a gateway, buckets,
# proxies and filtered unit-test runs that clean up after themselves on every
# path and fail loudly when the thing they set up is not there. Source it
# after `set -euo pipefail` (and after tests/cli/lib.sh when the test uses it;
# this file takes over its EXIT trap and still calls its cleanup_test).
CAIRN_SOURCE_DIR=${CAIRN_SOURCE_DIR:?CAIRN_SOURCE_DIR is not set}
rgw=$CAIRN_SOURCE_DIR/scripts/rgw.sh

s3_die() { echo "ABORTED: ${0##*/}: $*" >&2; exit 1; }

# --- clean-up on every path -----------------------------------------------

# at_exit CMD : runs the shell text CMD when the test exits, however it
# exits. The newest runs first: a proxy stops before its bucket is dropped,
# the bucket before its gateway goes. One trap for all of them, so no part
# of a test can replace another part's clean-up.
s3_cleanup=()
at_exit() { s3_cleanup=("$1" "${s3_cleanup[@]}"); }
s3_on_exit() {
    set +e # clean up as much as possible; the exit status is kept
    trap - ERR
    local c
    for c in "${s3_cleanup[@]}"; do eval "$c"; done
    if declare -F cleanup_test >/dev/null; then cleanup_test; fi
}
trap s3_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# set -e stops a test at an unchecked failing command: say where (as
# tests/cli/lib.sh does for its tests), or the test fails with no message.
# errtrace: most commands here run inside functions (cairn, s3api).
if [ -z "$(trap -p ERR)" ]; then
    set -E
    trap 'echo "ABORTED: line $LINENO of ${0##*/}: $BASH_COMMAND exited $?" >&2' ERR
fi

# A private directory for proxies' logs and certificates; never a fixed name.
S3_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cairn-s3.XXXXXX")
at_exit "rm -rf '$S3_TMP'"

# s3_wait DESCRIPTION SECONDS CMD... : polls CMD every 0.1 s until it
# succeeds; a deadline that passes ends the test, never a silent go-on.
s3_wait() {
    local d=$1 secs=$2 deadline=$((SECONDS + $2))
    shift 2
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || s3_die "timed out after ${secs}s waiting for: $d"
        sleep 0.1
    done
}

# --- the gateway ----------------------------------------------------------

# use_gateway : the S3 server named by S3_ENDPOINT and AWS_* (scripts/test.sh
# starts one for the whole run), else a private gateway of this test's own,
# stopped at exit. Either way an S3 endpoint is now required: the S3 unit
# tests fail, rather than skip, without one (CAIRN_S3_REQUIRED).
use_gateway() {
    if [ -z "${S3_ENDPOINT:-}" ]; then
        local dir env
        dir=$("$rgw" start) || s3_die "scripts/rgw.sh start failed"
        at_exit "'$rgw' stop '$dir'"
        env=$("$rgw" env "$dir") || s3_die "scripts/rgw.sh env $dir failed"
        eval "$env"
    fi
    [ -n "${S3_ENDPOINT:-}" ] || s3_die "no S3_ENDPOINT"
    # Some awscli versions cannot parse /dev/null as a credentials file; the
    # keys come from the environment anyway.
    if [ "${AWS_SHARED_CREDENTIALS_FILE:-}" = /dev/null ]; then
        : > "$S3_TMP/aws-credentials"
        export AWS_SHARED_CREDENTIALS_FILE=$S3_TMP/aws-credentials
    fi
    export CAIRN_S3_REQUIRED=1 AWS_PAGER=""
}

s3api() { /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3api "$@"; }

# make_bucket NAME [versioned] : a new bucket, dropped with everything in it
# when the test exits.
make_bucket() {
    s3api create-bucket --bucket "$1" >/dev/null
    at_exit "drop_bucket '$1' >/dev/null 2>&1"
    if [ "${2:-}" = versioned ]; then
        s3api put-bucket-versioning --bucket "$1" --versioning-configuration Status=Enabled
    fi
}

# drop_bucket NAME : aborts every unfinished upload, deletes every version
# and delete marker, then the bucket (a bucket with anything left in it
# cannot be deleted).
drop_bucket() {
    local key id
    s3api list-multipart-uploads --bucket "$1" --output text \
        --query 'Uploads[].[Key, UploadId]' | grep -v '^None$' | while IFS=$'\t' read -r key id; do
        s3api abort-multipart-upload --bucket "$1" --key "$key" --upload-id "$id"
    done
    # One DeleteObjects call per 1000 versions (one aws process each, not
    # one per version: a second apiece).
    local batch
    while :; do
        batch=$(s3api list-object-versions --bucket "$1" --max-items 1000 --output json \
            --query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}, Quiet: `true`}')
        python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["Objects"] else 1)' <<<"$batch" || break
        s3api delete-objects --bucket "$1" --delete "$batch" >/dev/null
    done
    s3api delete-bucket --bucket "$1"
}

# --- proxies --------------------------------------------------------------

# proxy_port OUT PID : the port a proxy printed ("ready PORT") to OUT, once
# it did; ends the test if the proxy exited instead.
proxy_port() {
    if ! kill -0 "$2" 2>/dev/null && ! grep -q '^ready ' "$1"; then
        s3_die "the proxy (pid $2) exited before it was ready: $(cat "$1")"
    fi
    awk '/^ready / {print $2; found = 1} END {exit !found}' "$1"
}

# wait_for_proxy OUT PID : waits (bounded) until the proxy listens; prints its port.
wait_for_proxy() {
    s3_wait "the proxy (pid $2) to print 'ready PORT'" 20 proxy_port "$1" "$2" >/dev/null
    proxy_port "$1" "$2"
}

# start_cutting_proxy LIMIT : tests/s3/cutting_proxy.py in front of the
# gateway, cutting every connection once the client sent LIMIT bytes on it.
# Sets cut_proxy_url and cut_proxy_log; the proxy is stopped at exit (or by
# stop_cutting_proxy).
cut_proxy_pid=
start_cutting_proxy() {
    cut_proxy_log=$S3_TMP/cuts.log
    : > "$cut_proxy_log"
    python3 "$CAIRN_SOURCE_DIR/tests/s3/cutting_proxy.py" --target "${S3_ENDPOINT##*:}" \
        --limit "$1" --log "$cut_proxy_log" > "$S3_TMP/cutting-proxy.out" 2>&1 &
    cut_proxy_pid=$!
    at_exit 'stop_cutting_proxy'
    local port
    port=$(wait_for_proxy "$S3_TMP/cutting-proxy.out" "$cut_proxy_pid") || s3_die "no cutting proxy"
    cut_proxy_url=http://127.0.0.1:$port
}
stop_cutting_proxy() {
    [ -n "$cut_proxy_pid" ] || return 0
    kill "$cut_proxy_pid" 2>/dev/null || true
    wait "$cut_proxy_pid" 2>/dev/null || true # the status of a killed proxy
    cut_proxy_pid=
    return 0
}
# proxy_connections / proxy_cuts : what the cutting proxy saw: connections
# accepted, and connections it cut. A client that never reached the proxy
# (a refused connection also fails an upload) leaves both at 0.
proxy_connections() { grep -c ' open$' "$cut_proxy_log" || true; }
proxy_cuts() { grep -c ' cut after ' "$cut_proxy_log" || true; }

# --- unit tests -----------------------------------------------------------

# unit_tests DOCTEST_ARGS... : runs cairn_tests with doctest filters. doctest
# passes a filter that selects nothing, and a selected test case that returns
# early passes without checking anything: so the filters must select at
# least one test case (counted first with --count), and the run must make at
# least one assertion. Returns cairn_tests' status.
unit_tests() {
    local bin selected asserts rc=0 out=$S3_TMP/unit.out
    bin=$(dirname "${CAIRN_BIN:?CAIRN_BIN is not set}")/cairn_tests
    selected=$("$bin" "$@" --count --no-colors | sed -n 's/.*passing the current filters: *\([0-9]*\).*/\1/p')
    [ "${selected:-0}" -gt 0 ] || s3_die "cairn_tests $*: the filters select no test case"
    "$bin" "$@" --no-colors > "$out" 2>&1 || rc=$?
    cat "$out"
    asserts=$(sed -n 's/^\[doctest\] assertions: *\([0-9]*\).*/\1/p' "$out")
    [ "${asserts:-0}" -gt 0 ] || s3_die "cairn_tests $*: $selected test case(s) made no assertion (they returned early)"
    return $rc
}
