#!/bin/bash
# S3 backend integration test against Ceph radosgw on loopback (label s3).
# Uses the server described by S3_ENDPOINT and AWS_* when set (the test
# runner starts it with scripts/rgw.sh); otherwise starts one and stops it
# on exit. Cross-checks what cairn did with the aws CLI, a client no one
# here wrote.
set -euo pipefail

src=${CAIRN_SOURCE_DIR:?CAIRN_SOURCE_DIR is not set}
tests_bin=$(dirname "${CAIRN_BIN:?CAIRN_BIN is not set}")/cairn_tests
aws=/usr/bin/aws
rgw="$src/scripts/rgw.sh"
cleanup=()
on_exit() { for c in "${cleanup[@]}"; do eval "$c" || true; done; }
trap on_exit EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

if [ -z "${S3_ENDPOINT:-}" ]; then
    if ! "$rgw" status 2>/dev/null; then
        "$rgw" start
        cleanup+=("'$rgw' stop")
    fi
    eval "$("$rgw" env)"
fi
export AWS_PAGER=""
s3api() { "$aws" --endpoint-url "$S3_ENDPOINT" s3api "$@"; }

bucket=cairn-test-$(date +%s)-$$
s3api create-bucket --bucket "$bucket" >/dev/null
s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
cleanup+=("s3api delete-bucket --bucket '$bucket' >/dev/null 2>&1")
export CAIRN_S3_BUCKET=$bucket

# counts PREFIX [BUCKET] -> "<versions> <delete markers>" as the aws CLI sees them
counts() {
    s3api list-object-versions --bucket "${2:-$bucket}" --prefix "$1" --output text \
        --query '[length(Versions || `[]`), length(DeleteMarkers || `[]`)]'
}

echo "== unit and conformance tests against $S3_ENDPOINT (bucket $bucket)"
"$tests_bin" -ts='*S3*'

echo "== after the suite, the bucket holds no version and no delete marker"
[ "$(counts "")" = "0	0" ] || fail "leftovers: $(counts "")"

echo "== an unversioned bucket passes the suite too (remove deletes the null version)"
s3api create-bucket --bucket "$bucket-plain" >/dev/null
cleanup+=("s3api delete-bucket --bucket '$bucket-plain' >/dev/null 2>&1")
CAIRN_S3_BUCKET=$bucket-plain CAIRN_S3_VERSIONED=0 "$tests_bin" -ts='*S3*' -tc='conformance*,probe*'
[ "$(counts "" "$bucket-plain")" = "0	0" ] || fail "unversioned bucket not empty"

echo "== aws sees exactly what cairn wrote"
CAIRN_S3_CROSSCHECK=put "$tests_bin" -ts='*S3*' -tc='crosscheck*'
keys=$(s3api list-objects-v2 --bucket "$bucket" --prefix crosscheck/ --output text --query 'Contents[].Key' | tr '\t' '\n' | sort)
expected=$(printf 'crosscheck/a b+c\ncrosscheck/été\n' | sort)
[ "$keys" = "$expected" ] || fail "aws lists '$keys', expected '$expected'"
[ "$(counts crosscheck/)" = "3	0" ] || fail "expected 3 versions, got $(counts crosscheck/)"
body=$(s3api get-object --bucket "$bucket" --key "crosscheck/a b+c" /dev/stdout 2>/dev/null | head -c 6)
[ "$body" = "second" ] || fail "aws reads '$body' from the latest version"

echo "== after remove, aws sees no version and no delete marker"
CAIRN_S3_CROSSCHECK=remove "$tests_bin" -ts='*S3*' -tc='crosscheck*'
[ "$(counts crosscheck/)" = "0	0" ] || fail "remove left $(counts crosscheck/)"

echo "== an upload cut mid-transfer fails retryably and leaves no object and no multipart upload"
port=${S3_ENDPOINT##*:}
proxy_port=$((port + 1000))
python3 "$src/tests/s3/cutting_proxy.py" "$proxy_port" "$port" $((2 << 20)) > /tmp/cairn-proxy.$$ &
proxy_pid=$!
cleanup+=("kill $proxy_pid; rm -f /tmp/cairn-proxy.$$")
for _ in $(seq 50); do grep -q ready /tmp/cairn-proxy.$$ && break; sleep 0.1; done
CAIRN_S3_CUTTING_PROXY=http://127.0.0.1:$proxy_port "$tests_bin" -ts='*S3*' -tc='faults: an upload cut*'
[ "$(counts fault/)" = "0	0" ] || fail "the cut upload left $(counts fault/)"
uploads=$(s3api list-multipart-uploads --bucket "$bucket" --output text --query 'length(Uploads || `[]`)')
[ "$uploads" = "0" ] || fail "$uploads multipart uploads left behind"

echo "== https: a self-signed server is refused; trusted via AWS_CA_BUNDLE it is named as not S3"
tls=$(mktemp -d)
cleanup+=("rm -rf '$tls'")
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null
tls_port=$((port + 1001))
openssl s_server -quiet -www -accept "$tls_port" -cert "$tls/cert.pem" -key "$tls/key.pem" >/dev/null 2>&1 &
tls_pid=$!
cleanup+=("kill $tls_pid")
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$tls_port) 2>/dev/null && break; sleep 0.1; done
CAIRN_S3_TLS_ENDPOINT=https://127.0.0.1:$tls_port CAIRN_S3_TLS_CA=$tls/cert.pem \
    "$tests_bin" -ts='*S3*' -tc='faults: TLS*'

echo "PASS"
