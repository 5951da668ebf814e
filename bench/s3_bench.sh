#!/bin/bash
# Upload and download of one file (default 1 GiB) through cairn's S3 backend
# and through `aws s3 cp`, side by side with hyperfine, against the loopback
# radosgw named by S3_ENDPOINT, else a private one of scripts/rgw.sh
# (started here and stopped again).
#   bench/s3_bench.sh [BUILD_DIR] [SIZE_MIB]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
size_mib=${2:-1024}
bench_bin=$build/cairn_s3_bench
[ -x "$bench_bin" ] || { echo "build $bench_bin first (ninja -C $build cairn_s3_bench)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 1; }

work=$(mktemp -d /var/tmp/cairn-s3-bench.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
if [ -z "${S3_ENDPOINT:-}" ]; then
    rgw_dir=$("$root/scripts/rgw.sh" start)
    cleanup() { rm -rf "$work"; "$root/scripts/rgw.sh" stop "$rgw_dir"; }
    rgw_env=$("$root/scripts/rgw.sh" env "$rgw_dir")
    eval "$rgw_env"
fi
aws="/usr/bin/aws --endpoint-url $S3_ENDPOINT"

# An unversioned bucket, so repeated uploads replace rather than accumulate.
bucket=cairn-bench-$$
$aws s3api create-bucket --bucket "$bucket" >/dev/null
head -c $((size_mib << 20)) /dev/urandom > "$work/src"
echo "file: $size_mib MiB; endpoint $S3_ENDPOINT; bucket $bucket"

hyperfine --warmup 1 --runs 3 --export-json "$work/put.json" \
    -n "cairn put" "$bench_bin put $work/src s3://$bucket/cairn-obj" \
    -n "aws s3 cp (upload)" "$aws s3 cp --only-show-errors $work/src s3://$bucket/aws-obj"
hyperfine --warmup 1 --runs 3 --export-json "$work/get.json" \
    --prepare "rm -f $work/dst" \
    -n "cairn get" "$bench_bin get s3://$bucket/cairn-obj $work/dst" \
    -n "aws s3 cp (download)" "$aws s3 cp --only-show-errors s3://$bucket/aws-obj $work/dst"
cmp "$work/src" "$work/dst" && echo "download verified"

python3 - "$work/put.json" "$work/get.json" "$size_mib" <<'PY'
import json, sys
size = int(sys.argv[3])
for path in sys.argv[1:3]:
    r = json.load(open(path))["results"]
    cairn, aws = r[0], r[1]
    print(f"{cairn['command']:>22}: {cairn['mean']:.2f} s ({size / cairn['mean']:.0f} MiB/s)   "
          f"{aws['command']}: {aws['mean']:.2f} s ({size / aws['mean']:.0f} MiB/s)   "
          f"ratio aws/cairn = {aws['mean'] / cairn['mean']:.2f}x")
PY
$aws s3 rm "s3://$bucket" --recursive --only-show-errors
$aws s3api delete-bucket --bucket "$bucket"
