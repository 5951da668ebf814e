#!/usr/bin/env bash
# Lineage queries at scale: a catalog of 100,000 artifacts and 50,000 runs
# (bench/lineage_bench.cpp fills it), then ancestor queries in process and
# end to end through `cairn lineage`. Target: under 100 ms.
#   bench/lineage_bench.sh [artifacts] [runs]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${CAIRN_BUILD_DIR:-$here/build}
cairn=${CAIRN_BIN:-$build/cairn}
artifacts=${1:-100000}
runs=${2:-50000}
ninja -C "$build" cairn lineage_bench >/dev/null
work=$(mktemp -d /tmp/cairn-lineage-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_CACHE_HOME=$work/home/.cache XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"
cd "$work"
"$cairn" init inst >/dev/null
export CAIRN_INSTANCE=$work/inst

echo "== in process: lineage::query_graph + render (JSON)"
"$build/lineage_bench" inst/.cairn/catalog.db --artifacts "$artifacts" --runs "$runs" | tee bench.out
uid=$(sed -n 's/^worst-case uid: //p' bench.out)
typical=$(sqlite3 inst/.cairn/catalog.db "SELECT uid FROM artifact WHERE key LIKE 'p7/%' ORDER BY id DESC LIMIT 1" 2>/dev/null ||
          python3 -c "import sqlite3; print(sqlite3.connect('inst/.cairn/catalog.db').execute(\"SELECT uid FROM artifact WHERE key LIKE 'p7/%' ORDER BY id DESC LIMIT 1\").fetchone()[0])")

echo "== end to end: cairn lineage (process start, open, query, audit event, render)"
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 2 --runs 10 \
        -n "typical project, --json" "$cairn lineage $typical --json" \
        -n "typical project, text" "$cairn lineage $typical" \
        -n "largest project, --json" "$cairn lineage $uid --json" \
        -n "largest project, --depth 10" "$cairn lineage $uid --depth 10 --json" 2>&1 | grep -E "^Benchmark|Time \(mean"
else
    for ref in "$typical" "$uid"; do
        start=$(date +%s%N); for _ in $(seq 10); do "$cairn" lineage "$ref" --json >/dev/null; done
        echo "  $ref: $(( ($(date +%s%N) - start) / 10000000 )) ms per call"
    done
fi
