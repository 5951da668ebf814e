#!/bin/bash
# purge against a versioned radosgw bucket (label s3): every S3 version and
# delete marker of a purged artifact's object is gone, as the aws CLI sees it.
set -euo pipefail

CAIRN_SOURCE_DIR=${CAIRN_SOURCE_DIR:?CAIRN_SOURCE_DIR is not set}
bin=${CAIRN_BIN:?CAIRN_BIN is not set}
source "$CAIRN_SOURCE_DIR/tests/s3/lib_s3.sh"
T=$S3_TMP
fail() { echo "FAIL: $*" >&2; exit 1; }

use_gateway
export HOME=$T/home XDG_CACHE_HOME=$T/home/.cache XDG_CONFIG_HOME=$T/home/.config
mkdir -p "$HOME"
unset CAIRN_INSTANCE CAIRN_KEY_FILE
cairn() { "$bin" "$@"; }

bucket=cairn-purge-$(date +%s)-$$
make_bucket "$bucket" versioned
counts() {
    s3api list-object-versions --bucket "$bucket" --prefix "$1" --output text \
        --query '[length(Versions || `[]`), length(DeleteMarkers || `[]`)]'
}
sql() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$T/proj/.cairn/catalog.db" "$1"; }

cairn init "$T/proj" --storage "s3://$bucket/inst" --endpoint "$S3_ENDPOINT" --allow-http >/dev/null
cd "$T/proj"

echo "== save twice (two artifact versions), plus extra S3 versions and a delete marker"
echo one > d.txt; cairn save d.txt --key exp/d.txt >/dev/null 2>&1
echo two > d.txt; cairn save d.txt --key exp/d.txt >/dev/null 2>&1
echo keep > k.txt; cairn save k.txt --key exp/keep.txt >/dev/null 2>&1
o1=$(sql "SELECT object_name FROM artifact WHERE key = 'exp/d.txt' AND version = 1")
o2=$(sql "SELECT object_name FROM artifact WHERE key = 'exp/d.txt' AND version = 2")
ok=$(sql "SELECT object_name FROM artifact WHERE key = 'exp/keep.txt'")
s3api get-object --bucket "$bucket" --key "inst/$o2" "$T/c2" >/dev/null
cipher2=$(tail -c 16 "$T/c2" | od -An -tx1 | tr -d ' \n') # its last tag
[ ${#cipher2} = 32 ] || fail "setup: ciphertext sample"
# An older S3 version under v1's name (as if overwritten), and a delete
# marker on top of v2's object (as if deleted without its versions).
s3api put-object --bucket "$bucket" --key "inst/$o1" --body d.txt >/dev/null
s3api delete-object --bucket "$bucket" --key "inst/$o2" >/dev/null
[ "$(counts "inst/$o1")" = "2	0" ] || fail "setup: $(counts "inst/$o1")"
[ "$(counts "inst/$o2")" = "1	1" ] || fail "setup: $(counts "inst/$o2")"

echo "== copies elsewhere: a working copy, a cache entry, an unfinished upload"
wc=$(cairn load exp/d.txt@v1 2>/dev/null)
[ "$(cat "$wc")" = one ] || fail "working copy"
w1=$(sql "SELECT hex(wrapped_key) FROM artifact WHERE key = 'exp/d.txt' AND version = 1")
w2=$(sql "SELECT hex(wrapped_key) FROM artifact WHERE key = 'exp/d.txt' AND version = 2")
up=$(s3api create-multipart-upload --bucket "$bucket" --key "inst/$o1" --query UploadId --output text)
printf 'plaintext-in-an-unfinished-upload' > "$T/part"
s3api upload-part --bucket "$bucket" --key "inst/$o1" --upload-id "$up" --part-number 1 --body "$T/part" >/dev/null

echo "== purge request + run"
cairn purge request exp/d.txt --reason "s3 test" >/dev/null 2>&1
cairn purge run --dry-run | grep -q "would delete 2 artifact" || fail "dry run plan"
[ "$(counts "inst/$o1")" = "2	0" ] || fail "dry run changed storage"
cairn purge run 2>"$T/run" || fail "purge run failed: $(cat "$T/run")"

echo "== aws sees no version and no delete marker of the purged objects"
[ "$(counts "inst/$o1")" = "0	0" ] || fail "v1 left $(counts "inst/$o1")"
[ "$(counts "inst/$o2")" = "0	0" ] || fail "v2 left $(counts "inst/$o2")"
[ "$(counts "inst/$ok")" = "1	0" ] || fail "the kept artifact was touched: $(counts "inst/$ok")"
[ "$(sql "SELECT COUNT(*) FROM deletion_request WHERE state = 'done' AND certificate LIKE '%$o1%'")" = 1 ] || fail "no certificate"
cairn load exp/keep.txt -o - | grep -q keep || fail "kept artifact unreadable"
[ ! -e "$wc" ] || fail "working copy survived"

echo "== residue scan: every file cairn wrote, every S3 version and unfinished upload"
rc=0
python3 "$CAIRN_SOURCE_DIR/tests/cli/residue_scan.py" --hex wrapped1="$w1" --hex wrapped2="$w2" \
    --hex ciphertext2="$cipher2" --text upload=plaintext-in-an-unfinished-upload --text name=exp/d.txt \
    --s3-bucket "$bucket" --s3-endpoint "$S3_ENDPOINT" "$T/proj" "$HOME" || rc=$?
[ "$rc" = 0 ] || fail "residue scan found something or failed (rc $rc)"
# The scan can fail: the kept artifact's wrapped key is still there.
wk=$(sql "SELECT hex(wrapped_key) FROM artifact WHERE key = 'exp/keep.txt'")
rc=0
python3 "$CAIRN_SOURCE_DIR/tests/cli/residue_scan.py" --hex kept="$wk" "$T/proj" >/dev/null || rc=$?
[ "$rc" = 1 ] || fail "residue scan missed a live wrapped key (rc $rc)"

echo "== clean up the bucket"
cairn purge request exp/keep.txt >/dev/null 2>&1 && cairn purge run 2>/dev/null
# What remains are the audit checkpoints the purge runs published (write-once; docs/AUDIT.md, Anchors).
[ "$(counts "inst/audit/checkpoints/" | cut -f1)" -ge 2 ] || fail "no published checkpoints: $(counts "inst/audit/checkpoints/")"
[ "$(counts "")" = "$(counts "inst/audit/checkpoints/")" ] || fail "bucket holds more than checkpoints: $(counts "")"
echo "test_purge (s3): ok"
