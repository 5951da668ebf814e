#!/usr/bin/env bash
# Runs every libFuzzer target of a CAIRN_FUZZ build tree for a bounded time.
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET (default 20)] [TARGET...]
#
# Per target: first replays tests/fuzz/regressions/<name>/* (inputs that
# once crashed it: each must now pass), then fuzzes for SECONDS starting from
# a scratch copy of tests/fuzz/corpus/<name>/ (the checked-in corpus never
# changes by itself), with tests/fuzz/<name>.dict if there is one. A crash, a sanitizer report, an input slower than
# -timeout or one that needs more than -rss_limit_mb fails the run; the
# report is printed and the input kept, to be added to regressions/ with the
# fix. Two targets run at a time (2 cores).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR [SECONDS] [TARGET...]}
seconds=${2:-20}
shift $(($# < 2 ? $# : 2))
bin_dir=$(cd "$build" && pwd)/tests/fuzz

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for src in "$here"/fuzz_*.cpp; do
        name=$(basename "$src" .cpp)
        targets+=("${name#fuzz_}")
    done
fi

# A symbolised stack trace needs llvm-symbolizer (Debian: llvm-14).
for s in llvm-symbolizer /usr/lib/llvm-14/bin/llvm-symbolizer; do
    if command -v "$s" >/dev/null; then
        export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v "$s")}
        break
    fi
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-fuzz.XXXXXX")
keep=0
trap '[ "$keep" = 1 ] || rm -rf "$work"' EXIT

# Limits that make a hang or a huge allocation a finding, not a stall.
limits=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048)

# run_target NAME : replays, then fuzzes; writes $work/NAME.log and
# $work/NAME.status (ok or failed).
run_target() {
    local name=$1 exe=$bin_dir/fuzz_$1 log=$work/$1.log
    local regressions=("$here/regressions/$name"/*)
    {
        if [ ! -x "$exe" ]; then
            echo "run.sh: $exe is missing (build the tree with -DCAIRN_FUZZ=ON)"
            echo failed >"$work/$name.status"
            return
        fi
        if [ -e "${regressions[0]}" ]; then
            # Given files, libFuzzer runs each once.
            if ! "$exe" "${limits[@]}" "${regressions[@]}" 2>&1; then
                echo "run.sh: $name: a regression input crashes again"
                echo failed >"$work/$name.status"
                return
            fi
            echo "run.sh: $name: ${#regressions[@]} regression input(s) pass"
            echo "${#regressions[@]}" >"$work/$name.replayed"
        fi
        local dict=()
        if [ -f "$here/$name.dict" ]; then dict=(-dict="$here/$name.dict"); fi
        mkdir -p "$work/corpus/$name" "$work/crashes/$name"
        cp "$here/corpus/$name"/* "$work/corpus/$name/"
        if "$exe" "${limits[@]}" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 \
            -artifact_prefix="$work/crashes/$name/" "$work/corpus/$name" 2>&1; then
            echo ok >"$work/$name.status"
        else
            echo failed >"$work/$name.status"
        fi
    } >"$log" 2>&1
}

# Two at a time, in the background; results are printed in order.
pids=()
for name in "${targets[@]}"; do
    run_target "$name" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
    fi
done
wait

status=0
for name in "${targets[@]}"; do
    log=$work/$name.log
    if [ "$(cat "$work/$name.status" 2>/dev/null)" = ok ]; then
        # The final stats: executions, speed, peak memory.
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        replayed=$(cat "$work/$name.replayed" 2>/dev/null || echo 0)
        echo "fuzz $name: ok, $replayed regression input(s) pass; ${execs:-?} runs in ${seconds}s" \
            "(${speed:-?}/s), ${cov:-cov: ?}, peak ${rss:-?} MB"
    else
        status=1
        keep=1
        echo "=== fuzz $name: FAILED; its output:" >&2
        # The report is at the end; the start shows what was replayed or run.
        if [ "$(wc -l <"$log")" -gt 200 ]; then
            head -20 "$log" >&2
            echo "[...]" >&2
            tail -150 "$log" >&2
        else
            cat "$log" >&2
        fi
        for crash in "$work/crashes/$name"/*; do
            [ -e "$crash" ] || continue
            echo "run.sh: input kept: $crash ($(wc -c <"$crash") bytes); after the fix:" \
                "cp $crash $here/regressions/$name/" >&2
        done
    fi
done
[ "$status" = 0 ] || echo "run.sh: fuzzing failed (inputs and logs kept in $work)" >&2
exit $status
