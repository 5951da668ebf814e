#!/usr/bin/env bash
# Times cairn save/load of a 1 GiB file side by side with the tools users
# would otherwise reach for (openssl dgst + cp, sha256sum + cp, age, restic
# backup, cp), in one run, and prints ratios.
#   [BENCH_DIR=/dev/shm] bench/save_load.sh [size_mib]     (default 1024)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cairn=${CAIRN_BIN:-$here/build/cairn}
size=${1:-1024}
# BENCH_DIR=/dev/shm takes the disk out of the comparison (CPU cost only);
# on a shared disk, writeback of earlier runs otherwise dominates.
work=$(mktemp -d "${BENCH_DIR:-/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_CACHE_HOME=$work/home/.cache XDG_CONFIG_HOME=$work/home/.config XDG_STATE_HOME=$work/home/.local/state
mkdir -p "$HOME"
cd "$work"
"$cairn" init inst >/dev/null
export CAIRN_INSTANCE=$work/inst
head -c $((size * 1048576)) /dev/urandom > input.bin
# Everything reads from the page cache: the comparison is CPU and write cost.
cat input.bin > /dev/null

# Each timed save goes into a fresh instance, so earlier runs' objects and
# cache entries neither pile up (memory, writeback) nor trigger eviction.
cat > fresh.sh <<EOF
rm -rf "$work/inst" "$XDG_CACHE_HOME/cairn" "$XDG_CONFIG_HOME/cairn" "$XDG_STATE_HOME/cairn"
"$cairn" init "$work/inst" >/dev/null
EOF

echo "== cairn --version (startup)"
hyperfine -N --warmup 5 --runs 50 "$cairn --version" --export-json version.json >/dev/null
python3 -c "import json; r=json.load(open('version.json'))['results'][0]; print(f'  mean {r[\"mean\"]*1000:.2f} ms (target < 5 ms)')"

echo "== save ${size} MiB: cairn save vs openssl dgst -sha256 + cp"
hyperfine --runs 3 --export-json save.json \
  -n "openssl dgst -sha256 + cp" "openssl dgst -sha256 input.bin >/dev/null && cp input.bin copy.bin && rm copy.bin" \
  -n "sha256sum + cp" "sha256sum input.bin >/dev/null && cp input.bin copy.bin && rm copy.bin" \
  -n "cairn save" --prepare "sh fresh.sh" "$cairn save input.bin --key bench/input.bin >/dev/null" >/dev/null
"$cairn" load bench/input.bin -o - > /dev/null

echo "== encrypt ${size} MiB: cairn save vs age and restic backup (fresh repository each run)"
for tool in age restic; do command -v $tool >/dev/null || apt-get install -y -qq $tool >/dev/null; done
age-keygen -o age.key 2>/dev/null
export RESTIC_PASSWORD=bench-only RESTIC_CACHE_DIR=$work/restic-cache
# --prepare is given once per command, in command order.
hyperfine --runs 3 --export-json encrypt.json \
  --prepare true --prepare "rm -rf repo && restic init -q -r repo" --prepare "sh fresh.sh" \
  -n "age -r (X25519 + ChaCha20-Poly1305)" "age -r $(age-keygen -y age.key) -o out.age input.bin && rm out.age" \
  -n "restic backup" "restic -q -r repo backup input.bin" \
  -n "cairn save" "$cairn save input.bin --key bench/input.bin >/dev/null" >/dev/null
rm -rf repo

echo "== load ${size} MiB (read in place from the directory store): cairn load vs cp"
hyperfine --runs 3 --export-json load.json \
  -n "cp" "cp input.bin copy.bin && rm copy.bin" \
  -n "cairn load" "$cairn load bench/input.bin -o out.bin -f >/dev/null && rm out.bin" >/dev/null

python3 - <<'PY'
import json
def means(f): return {r['command']: r['mean'] for r in json.load(open(f))['results']}
s = means('save.json'); l = means('load.json'); e = means('encrypt.json')
base = s['openssl dgst -sha256 + cp']
for k, v in s.items(): print(f"  save  {k:28s} {v:7.2f} s   {v/base:5.2f}x of openssl+cp")
for k, v in l.items(): print(f"  load  {k:28s} {v:7.2f} s   {v/l['cp']:5.2f}x of cp")
print(f"  ratio cairn save / (openssl dgst + cp) = {s['cairn save']/base:.2f} (target <= 1.5; "
      f"hash + copy is the unencrypted save, so <= 1.3 also meets the encryption target)")
for k, v in e.items(): print(f"  encrypt {k:36s} {v:7.2f} s   {v/e['cairn save']:5.2f}x of cairn save")
print(f"  restic backup / cairn save = {e['restic backup']/e['cairn save']:.2f} (target >= 5)")
print(f"  ratio cairn load / cp = {l['cairn load']/l['cp']:.2f} (target <= 1.5)")
PY

echo "== peak memory (max RSS)"
sh fresh.sh
/usr/bin/time -f '  cairn save: %M KiB max RSS' "$cairn" save input.bin --key bench/mem >/dev/null
/usr/bin/time -f '  cairn load: %M KiB max RSS' "$cairn" load bench/mem -o out.bin -f >/dev/null
echo "  (target < 65536 KiB for any file size)"
