#!/usr/bin/env bash
# Faults map to documented exit codes (issue 15 item 6): a full disk is exit
# 5 naming the path and the free space, a save that cannot fit is refused
# before it writes, and a read-only instance serves audit verify and refuses
# everything else with exit 6 before it shows anything, never exit 1
# "readonly database".
#
# The full disk is a real one: a 24 MiB tmpfs mounted in a private mount
# namespace (unshare -m), so nothing outside this test sees it. CI runs as
# root; elsewhere a user namespace (unshare -rm) gives the same.
source "$(dirname "$0")/private_ns.sh"
source "$(dirname "$0")/lib.sh"

# A private, small filesystem holds the instance, its storage and the cache.
mount_small_fs 24m
export XDG_CACHE_HOME=$small/cache
free_kib() { df -k --output=avail "$small" | tail -1 | tr -d ' '; }
objects() { find "$small/proj/.cairn/storage" -type f | wc -l; }
temps() { find "$small" -name '*.tmp-*' | wc -l; }

expect_exit 0 "init on the small filesystem" cairn init "$small/proj"
cd "$small/proj"
head -c 100000 /dev/urandom > small.bin
expect_exit 0 "a small save fits" cairn save small.bin

# A sparse 10 GiB file: before, cairn encrypted until the disk filled.
truncate -s 10G sparse.bin
before_objects=$(objects)
expect_exit 5 "a save larger than the free space is refused" cairn save sparse.bin
expect_err_contains "not enough space to save sparse.bin: it needs 10.0 GiB (encrypted) in $XDG_CACHE_HOME/cairn/"
expect_err_contains "MiB free; nothing was written"
check "no object was stored" [ "$(objects)" = "$before_objects" ]
check "no temp file was left" [ "$(temps)" = 0 ]
expect_exit 0 "ls" cairn --json ls
check "nothing was recorded" [ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/out")" = 1 ]
rm sparse.bin

# The same when the data fits the check but not the disk: another process
# fills it while the save writes. A filler leaves 3 MiB; the save needs 6.
head -c 6000000 /dev/urandom > six.bin
cp six.bin "$T/six.bin" && rm six.bin
filler_kib=$(( $(free_kib) - 3072 ))
head -c "$((filler_kib * 1024))" /dev/zero > filler 2>/dev/null || true
expect_exit 5 "a save whose data fits the check but not the disk" cairn save "$T/six.bin" --key six.bin
expect_err_contains "free"
check "no temp file was left after the refused save" [ "$(temps)" = 0 ]

# The disk full to the last block: every command fails with a documented
# code or works; nothing is torn.
head -c 100000000 /dev/zero >> filler 2>/dev/null || true
check "the filesystem is full ($(free_kib) KiB free)" [ "$(free_kib)" -lt 64 ]
for cmd in "ls" "audit --limit 1" "lineage small.bin" "purge status"; do
    got=0
    cairn $cmd >"$T/out" 2>"$T/err" || got=$?
    check "'cairn $cmd' on a full disk: exit 0 or 5 (got $got)" test "$got" = 0 -o "$got" = 5
    if [ "$got" = 5 ]; then expect_err_contains "the disk is full"; fi
done
mkdir out
expect_exit 5 "load onto a full disk" cairn load small.bin -o out/small.bin
expect_err_contains "No space left on device"
expect_err_contains "free there"
check "no partial output is left" [ -z "$(ls -A out)" ]
expect_exit 5 "save onto a full disk" cairn save "$T/six.bin" --key six.bin
check "no temp file was left on the full disk" [ "$(temps)" = 0 ]

# Room again: everything works, and the trail is whole.
rm filler
expect_exit 0 "load after the disk is freed" cairn load small.bin -o out/small.bin
check "with its content" same_file small.bin out/small.bin
expect_exit 0 "save after the disk is freed" cairn save "$T/six.bin" --key six.bin
expect_exit 0 "audit verify after the faults" cairn audit verify

# Standard output on a full disk (/dev/full): exit 5, and the export was
# recorded before its first byte, with the count of what it was to write.
to_full() { "$CAIRN_BIN" "$@" > /dev/full; }
expect_exit 5 "audit export to a full standard output" to_full audit export
expect_err_contains "No space left on device"
expect_exit 5 "load to a full standard output" to_full load small.bin -o -
expect_err_contains "No space left on device"
expect_exit 0 "audit export to a file" cairn audit export -o all.jsonl
expect_exit 0 "audit export to standard output" cairn audit export
cp "$T/out" stdout.jsonl
# Each export records itself: read the trail once, after the exports.
cairn audit export --action audit.export > exports.jsonl
tail -n 1 exports.jsonl > stdout-event.json
# field FILE NAME... : the value at that path in the JSON of FILE
field() { python3 -c "import functools, json, sys; print(functools.reduce(lambda v, k: v[k], sys.argv[2:], json.load(open(sys.argv[1]))))" "$@"; }
check "the stdout export recorded the count it wrote ($(field stdout-event.json details count) vs $(wc -l < stdout.jsonl))" \
    [ "$(field stdout-event.json details count)" = "$(wc -l < stdout.jsonl)" ]
check "the stdout export holds the events before its own" \
    [ "$(tail -n 1 stdout.jsonl > last.json; field last.json seq)" -lt "$(field stdout-event.json seq)" ]
check "the stdout export holds the -o export's event" grep -q '"output":"all.jsonl"' stdout.jsonl
check "the failed export to /dev/full was recorded too" \
    [ "$(grep -c '"output":"-"' exports.jsonl)" -ge 2 ]

# A read-only instance. Root ignores file modes (CAP_DAC_OVERRIDE), so cairn
# runs without those capabilities, as an ordinary owner would.
if [ "$(id -u)" = 0 ]; then
    as_owner() { setpriv --bounding-set -dac_override,-dac_read_search "$@"; }
else
    as_owner() { "$@"; }
fi
chmod -R a-w .cairn
check_not "the instance is read-only where cairn runs" as_owner bash -c 'touch .cairn/probe 2>/dev/null'
for cmd in "ls" "load small.bin -o ro.bin" "audit" "lineage small.bin" "save small.bin --key ro"; do
    expect_exit 6 "'cairn $cmd' on a read-only instance" as_owner "$CAIRN_BIN" $cmd
    expect_err_contains "cannot write the catalog $small/proj/.cairn/catalog.db"
    expect_err_contains "so nothing was done or shown"
    check "'cairn $cmd' showed nothing" [ ! -s "$T/out" ]
done
check "no file was loaded from a read-only instance" [ ! -e ro.bin ]
expect_exit 0 "audit verify reads a read-only instance" as_owner "$CAIRN_BIN" audit verify --no-storage
expect_exit 6 "purge status refuses a read-only instance too" as_owner "$CAIRN_BIN" purge status
expect_err_contains "cannot write the catalog"
chmod -R u+w .cairn
expect_exit 0 "writable again" cairn ls
expect_exit 0 "audit verify" cairn audit verify
finish
