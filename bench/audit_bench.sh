#!/usr/bin/env bash
# Audit trail benchmark: `cairn audit verify` over N events (default
# 1,000,000; target < 3 s) and the per-event append cost (target < 1 ms).
#   bench/audit_bench.sh [N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cairn=${CAIRN_BIN:-$here/build/cairn}
helper=${CAIRN_AUDIT_BENCH:-$here/build/cairn_audit_bench}
# The helper is EXCLUDE_FROM_ALL: build it here so the script works on a fresh build.
[ -n "${CAIRN_AUDIT_BENCH:-}" ] || ninja -C "$here/build" cairn_audit_bench >/dev/null
n=${1:-1000000}
work=$(mktemp -d /tmp/cairn-audit-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_CACHE_HOME=$work/home/.cache XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"
"$cairn" init "$work/inst" >/dev/null
export CAIRN_INSTANCE=$work/inst
db=$work/inst/.cairn/catalog.db

echo "== 200 artifacts saved (sealed rows for the checks below)"
for i in $(seq 200); do echo "$i" > "$work/f"; "$cairn" save "$work/f" --key "bench/f$i" >/dev/null; done
echo "== generate $n events (core API, one transaction)"
"$helper" generate "$db" "$n"
echo "== per-event append (own transaction each, as commands do)"
"$helper" append "$db" 2000
echo "== cairn audit verify over $((n + 2001)) events (target < 3 s)"
cat "$db" > /dev/null
for run in 1 2 3; do
    start=$(date +%s.%N)
    "$cairn" audit verify
    end=$(date +%s.%N)
    python3 -c "print(f'  run $run: {$end - $start:.2f} s')"
done
echo "== per-command checks (target: < 5 ms added to a command)"
"$helper" checks "$db" 200
echo "== in-process verify (default workers, then all on one thread)"
"$helper" verify "$db"
"$helper" verify "$db" 0
