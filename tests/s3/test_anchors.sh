#!/usr/bin/env bash
# Issue 14 item 6 on S3 (label s3): audit checkpoints are published into the
# bucket write-once (If-None-Match: *, as far as the store honours it, which
# init's probe reports), /usr/bin/aws sees them, and a rolled-back instance
# is caught through them even on a host with no recorded head (fresh HOME).
source "$CAIRN_SOURCE_DIR/tests/cli/lib.sh"
source "$CAIRN_SOURCE_DIR/tests/s3/lib_s3.sh"
use_gateway
bucket=cairn-anchors-$(date +%s)-$$
make_bucket "$bucket" versioned
sql() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" .cairn/catalog.db "$1"; }
problem() { python3 -c 'import json,sys; print(json.load(sys.stdin).get("problem"))'; }
checkpoint_keys() {
    s3api list-objects-v2 --bucket "$bucket" --prefix inst/audit/checkpoints/ --query 'Contents[].Key' --output text |
        tr '\t' '\n' | grep -v '^None$' || true
}

expect_exit 0 "init on s3" cairn --json init "$T/p" --storage "s3://$bucket/inst" --endpoint "$S3_ENDPOINT" --allow-http --addressing path
write_once=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["probe"]["write_once"])' "$T/out")
case $write_once in
    True | False) pass ;;
    *) fail "the probe did not find out whether the store honours If-None-Match ($write_once)" ;;
esac
echo "radosgw honours If-None-Match on PUT: $write_once"
cd "$T/p"
echo one > a.txt
expect_exit 0 "save" cairn save a.txt --key k/a.txt
check "nothing published before it is due" [ -z "$(checkpoint_keys)" ]
cp -a .cairn "$T/snap"
expect_exit 0 "save again" cairn save a.txt --key k/b.txt

# --- purge run publishes into the bucket ----------------------------------------
expect_exit 0 "purge run publishes a checkpoint" cairn purge run
keys=$(checkpoint_keys)
check "aws lists one checkpoint" [ "$(grep -c . <<<"$keys")" = 1 ]
key=$(head -1 <<<"$keys")
check "its name: 20-digit count, 16 hex" bash -c '[[ "$1" =~ ^inst/audit/checkpoints/[0-9]{20}-[0-9a-f]{16}\.json$ ]]' _ "$key"
vid=$(s3api list-object-versions --bucket "$bucket" --prefix "$key" --query 'Versions[0].VersionId' --output text)
s3api get-object --bucket "$bucket" --key "$key" --version-id="$vid" "$T/cp.json" >/dev/null
check "it is this instance's signed checkpoint of the trail before the publish" python3 -c "
import json, sys
c = json.load(open(sys.argv[1]))
assert c['instance_id'] == sys.argv[2], c['instance_id']
assert c['count'] == int(sys.argv[3]), (c['count'], sys.argv[3])
assert len(c['signature']) == 128
" "$T/cp.json" "$(sql "SELECT value FROM instance_info WHERE name = 'instance_id'")" "$(sql "SELECT seq - 1 FROM audit_event WHERE action = 'audit.publish'")"
check "the publish is in the trail" [ "$(sql "SELECT COUNT(*) FROM audit_event WHERE action = 'audit.publish' AND result = 'ok'")" = 1 ]
expect_exit 0 "verify reads it from the bucket" cairn audit verify
check "verify reports it" grep -q "published checkpoints: 1 in 1 location(s) match" "$T/out"

# --- A second PUT of the same name, by a client no one here wrote ---------------
echo '{"forged": true}' > "$T/other.json"
sha=$(sha256sum < "$T/other.json" | cut -d' ' -f1)
code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: $sha" -H 'If-None-Match: *' \
    -T "$T/other.json" "$S3_ENDPOINT/$bucket/$key")
s3api get-object --bucket "$bucket" --key "$key" "$T/after.json" >/dev/null
if [ "$write_once" = True ]; then
    check "the store refuses the second PUT with 412 (got $code)" [ "$code" = 412 ]
    check "the checkpoint is unchanged" same_file "$T/cp.json" "$T/after.json"
else
    check "the store accepted the second PUT, as the probe said (got $code)" [ "$code" = 200 ]
    check "and replaced the checkpoint" same_file "$T/other.json" "$T/after.json"
    expect_exit 4 "verify reports the replaced checkpoint" cairn audit verify
    expect_exit 0 "purge status" cairn purge status
    check "purge status notes the store ignores If-None-Match" grep -q "ignores If-None-Match" "$T/out"
    s3api put-object --bucket "$bucket" --key "$key" --body "$T/cp.json" >/dev/null
fi
expect_exit 0 "verify after the second PUT" cairn audit verify

# --- A rollback, seen from a host that never saw the instance -------------------
rm -rf .cairn && cp -a "$T/snap" .cairn
expect_exit 4 "this host refuses the rolled-back instance" cairn ls
expect_err_contains "truncated"
fresh=$T/fresh-home
mkdir -p "$fresh"
expect_exit 4 "a fresh HOME catches it through the bucket's checkpoints" \
    env HOME="$fresh" XDG_STATE_HOME="$fresh/.local/state" XDG_CACHE_HOME="$fresh/.cache" XDG_CONFIG_HOME="$fresh/.config" \
    "$CAIRN_BIN" audit verify --json
check "verify: truncated" [ "$(problem < "$T/out")" = truncated ]
check "no head was written in the fresh HOME" [ ! -e "$fresh/.local/state/cairn" ]
expect_exit 0 "without the bucket (--no-storage) the fresh HOME sees nothing wrong" \
    env HOME="$fresh" XDG_STATE_HOME="$fresh/.local/state" XDG_CACHE_HOME="$fresh/.cache" XDG_CONFIG_HOME="$fresh/.config" \
    "$CAIRN_BIN" audit verify --no-storage

# --- Object Lock: a published checkpoint is also retained ----------------------
lbucket=cairn-anchors-lock-$(date +%s)-$$
s3api create-bucket --bucket "$lbucket" --object-lock-enabled-for-bucket >/dev/null
# Locked versions need the governance bypass to go.
drop_locked() {
    s3api list-object-versions --bucket "$1" --output text --query 'Versions[].[Key, VersionId]' | grep -v '^None$' |
        while IFS=$'\t' read -r k v; do
            s3api delete-object --bucket "$1" --key "$k" --version-id="$v" --bypass-governance-retention >/dev/null
        done
    s3api delete-bucket --bucket "$1"
}
at_exit "drop_locked '$lbucket' >/dev/null 2>&1"
cd "$T"
expect_exit 0 "init on a bucket with Object Lock (accepted as unsafe)" cairn init "$T/l" --storage "s3://$lbucket/inst" \
    --endpoint "$S3_ENDPOINT" --allow-http --addressing path --allow-unsafe-storage
cd "$T/l"
expect_exit 0 "purge run publishes on the locked bucket" cairn purge run
lkey=$(s3api list-objects-v2 --bucket "$lbucket" --prefix inst/audit/checkpoints/ --query 'Contents[0].Key' --output text)
check "a checkpoint was published ($lkey)" bash -c '[[ "$1" == inst/audit/checkpoints/* ]]' _ "$lkey"
s3api get-object-retention --bucket "$lbucket" --key "$lkey" --output json > "$T/retention.json" 2>"$T/retention.err" || true
check "it is retained in GOVERNANCE mode for about 400 days ($(cat "$T/retention.json" "$T/retention.err"))" python3 -c "
import json, sys, datetime
r = json.load(open(sys.argv[1]))['Retention']
assert r['Mode'] == 'GOVERNANCE', r
until = datetime.datetime.fromisoformat(r['RetainUntilDate'].replace('Z', '+00:00'))
days = (until - datetime.datetime.now(datetime.timezone.utc)).days
assert 398 <= days <= 400, days
" "$T/retention.json"
expect_exit 0 "verify on the locked bucket" cairn audit verify

finish
