#!/usr/bin/env bash
# Saves 1,000 small artifacts to radosgw (target: under 30 s), one process
# per save as a batch job would, and the same files with `aws s3 cp` for scale.
#   bench/small_artifacts.sh [count]   (needs a gateway: export CAIRN_RGW_DIR=$(scripts/rgw.sh start))
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cairn=${CAIRN_BIN:-$here/build/cairn}
count=${1:-1000}
rgw_env=$("$here/scripts/rgw.sh" env) # the gateway in $CAIRN_RGW_DIR; fails without one
eval "$rgw_env"
work=$(mktemp -d /tmp/cairn-small.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_CACHE_HOME=$work/home/.cache XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME" "$work/files" && cd "$work"
bucket=bench-small-$$
/usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3api create-bucket --bucket "$bucket" >/dev/null
"$cairn" init inst --storage "s3://$bucket/c" --endpoint "$S3_ENDPOINT" --allow-http --addressing path >/dev/null
for i in $(seq 1 "$count"); do head -c 2048 /dev/urandom > "files/f$i"; done
start=$(date +%s.%N)
for i in $(seq 1 "$count"); do "$cairn" --instance inst save "files/f$i" --key "small/f$i" >/dev/null 2>&1; done
end=$(date +%s.%N)
# A failed save would make the loop look fast: count what actually landed.
saved=$("$cairn" --instance inst ls small/ --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$saved" = "$count" ] || { echo "only $saved of $count saves succeeded" >&2; exit 1; }
astart=$(date +%s.%N)
for i in $(seq 1 100); do /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3 cp "files/f$i" "s3://$bucket/aws/f$i" >/dev/null; done
aend=$(date +%s.%N)
python3 - "$start" "$end" "$astart" "$aend" "$count" <<'PY'
import sys
s, e, a, b, n = map(float, sys.argv[1:])
c = e - s; per_aws = (b - a) / 100
print(f"cairn save x{int(n)}: {c:.1f} s ({c/n*1000:.1f} ms each; target < 30 s)")
print(f"aws s3 cp x100: {b-a:.1f} s ({per_aws*1000:.1f} ms each); cairn per file / aws per file = {c/n/per_aws:.2f}")
PY
