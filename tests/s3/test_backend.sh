#!/bin/bash
# S3 backend integration test against Ceph radosgw on loopback (label s3).
# Uses the server described by S3_ENDPOINT and AWS_* when set (the test
# runner starts it with scripts/rgw.sh); otherwise starts a private one and
# stops it on exit. Cross-checks what cairn did with the aws CLI, a client no
# one here wrote. Every unit-test run must select test cases that check
# something (tests/s3/lib_s3.sh: unit_tests).
set -euo pipefail

CAIRN_SOURCE_DIR=${CAIRN_SOURCE_DIR:?CAIRN_SOURCE_DIR is not set}
: "${CAIRN_BIN:?CAIRN_BIN is not set}"
source "$CAIRN_SOURCE_DIR/tests/s3/lib_s3.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }

use_gateway
bucket=cairn-test-$(date +%s)-$$
make_bucket "$bucket" versioned
export CAIRN_S3_BUCKET=$bucket

# counts PREFIX [BUCKET] -> "<versions> <delete markers>" as the aws CLI sees them
counts() {
    s3api list-object-versions --bucket "${2:-$bucket}" --prefix "$1" --output text \
        --query '[length(Versions || `[]`), length(DeleteMarkers || `[]`)]'
}

echo "== unit and conformance tests against $S3_ENDPOINT (bucket $bucket)"
unit_tests -ts='*S3*'

echo "== after the suite, the bucket holds no version and no delete marker"
[ "$(counts "")" = "0	0" ] || fail "leftovers: $(counts "")"

echo "== an unversioned bucket passes the suite too (remove deletes the null version)"
make_bucket "$bucket-plain"
CAIRN_S3_BUCKET=$bucket-plain CAIRN_S3_VERSIONED=0 unit_tests -ts='*S3*' -tc='conformance*,probe*'
[ "$(counts "" "$bucket-plain")" = "0	0" ] || fail "unversioned bucket not empty"

echo "== aws sees exactly what cairn wrote"
CAIRN_S3_CROSSCHECK=put unit_tests -ts='*S3*' -tc='crosscheck*'
keys=$(s3api list-objects-v2 --bucket "$bucket" --prefix crosscheck/ --output text --query 'Contents[].Key' | tr '\t' '\n' | sort)
expected=$(printf 'crosscheck/a b+c\ncrosscheck/été\n' | sort)
[ "$keys" = "$expected" ] || fail "aws lists '$keys', expected '$expected'"
[ "$(counts crosscheck/)" = "3	0" ] || fail "expected 3 versions, got $(counts crosscheck/)"
body=$(s3api get-object --bucket "$bucket" --key "crosscheck/a b+c" /dev/stdout 2>/dev/null | head -c 6)
[ "$body" = "second" ] || fail "aws reads '$body' from the latest version"

echo "== after remove, aws sees no version and no delete marker"
CAIRN_S3_CROSSCHECK=remove unit_tests -ts='*S3*' -tc='crosscheck*'
[ "$(counts crosscheck/)" = "0	0" ] || fail "remove left $(counts crosscheck/)"

echo "== an upload cut mid-transfer fails retryably and leaves no object and no multipart upload"
start_cutting_proxy $((2 << 20))
CAIRN_S3_CUTTING_PROXY=$cut_proxy_url unit_tests -ts='*S3*' -tc='faults: an upload cut*'
# A refused connection fails the upload too: the proxy must have carried the
# upload and cut it.
[ "$(proxy_cuts)" -ge 1 ] || fail "the proxy cut nothing ($(proxy_connections) connections): the upload never went through it"
stop_cutting_proxy
[ "$(counts fault/)" = "0	0" ] || fail "the cut upload left $(counts fault/)"
uploads=$(s3api list-multipart-uploads --bucket "$bucket" --output text --query 'length(Uploads || `[]`)')
[ "$uploads" = "0" ] || fail "$uploads multipart uploads left behind"

echo "== https: a self-signed server is refused; trusted via AWS_CA_BUNDLE it is named as not S3"
tls=$S3_TMP/tls
mkdir "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null
# Port 0: the kernel picks a free port, which s_server prints as "ACCEPT 127.0.0.1:PORT".
openssl s_server -www -accept 127.0.0.1:0 -cert "$tls/cert.pem" -key "$tls/key.pem" > "$tls/out" 2>&1 &
tls_pid=$!
at_exit "kill $tls_pid 2>/dev/null"
tls_port() { sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tls/out" | grep .; }
s3_wait "openssl s_server to listen" 20 tls_port >/dev/null
tls_port=$(tls_port)
CAIRN_S3_TLS_ENDPOINT=https://127.0.0.1:$tls_port CAIRN_S3_TLS_CA=$tls/cert.pem \
    unit_tests -ts='*S3*' -tc='faults: TLS*'

echo "PASS"
