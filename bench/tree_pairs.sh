#!/usr/bin/env bash
# Issue 17 item 2 targets, measured side by side: alternating runs of each
# command on one file in tmpfs, medians printed. Noise from other work on
# the machine hits neighbours alike, so the ratios hold better than means.
#   [BENCH_DIR=/dev/shm] [PAIRS=7] bench/tree_pairs.sh [size_mib]   (default 512)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cairn=${CAIRN_BIN:-$here/build/cairn}
size=${1:-512}
pairs=${PAIRS:-7}
work=$(mktemp -d "${BENCH_DIR:-/dev/shm}/cairn-pairs.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_CACHE_HOME=$work/home/.cache XDG_CONFIG_HOME=$work/home/.config XDG_STATE_HOME=$work/home/.local/state
mkdir -p "$HOME"
cd "$work"
head -c $((size * 1048576)) /dev/urandom > input.bin
command -v age >/dev/null && age-keygen -o age.key 2>/dev/null
fresh() { rm -rf inst "$XDG_CACHE_HOME/cairn" "$XDG_CONFIG_HOME/cairn" "$XDG_STATE_HOME/cairn"; "$cairn" init inst >/dev/null; }
export CAIRN_INSTANCE=$work/inst
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
declare -A times
add() { times[$1]="${times[$1]:-} $2"; }
for ((i = 0; i < pairs; i++)); do
    add openssl "$(t openssl dgst -sha256 input.bin)"
    add cp "$(t cp input.bin copy.bin)"; rm -f copy.bin
    fresh; add save "$(t "$cairn" save input.bin --key b)"
    add load "$(t "$cairn" load b -o out.bin -f)"; rm -f out.bin
    if [ -f age.key ]; then add age "$(t age -r "$(age-keygen -y age.key)" -o out.age input.bin)"; rm -f out.age; fi
    fresh; add save_sha "$(t "$cairn" save input.bin --key b --sha256)"
done
for k in "${!times[@]}"; do echo "$k ${times[$k]}"; done > times.txt
python3 - <<'PY'
import statistics as st
m = {}
for line in open("times.txt"):
    k, *v = line.split()
    m[k] = st.median(map(float, v))
for k in sorted(m):
    print(f"  {k:10s} median {m[k]:6.3f} s")
print(f"  load / openssl dgst          = {m['load'] / m['openssl']:.2f} (target <= 0.7)")
print(f"  save / (openssl dgst + cp)   = {m['save'] / (m['openssl'] + m['cp']):.2f} (target <= 0.7)")
if "age" in m:
    print(f"  save / age -r                = {m['save'] / m['age']:.2f} (target < 1)")
print(f"  save --sha256 / save         = {m['save_sha'] / m['save']:.2f} (the cost of also computing the plain SHA-256)")
PY
fresh
/usr/bin/time -f '  cairn save: %M KiB max RSS' "$cairn" save input.bin --key mem >/dev/null
/usr/bin/time -f '  cairn load: %M KiB max RSS' "$cairn" load mem -o out.bin -f >/dev/null
/usr/bin/time -f '  cairn load --range (1 MiB): %M KiB max RSS' "$cairn" load mem --range 1000000-2048575 -o part.bin -f >/dev/null
echo "  (target < 65536 KiB for any file size)"
