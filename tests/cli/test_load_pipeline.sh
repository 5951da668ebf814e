#!/usr/bin/env bash
# Issue 17: load decrypts, hashes and writes on three threads at once. A
# failure in any stage (a tampered segment in the middle, a disk that fills
# while the output is written, a kill -9) stops them all with the
# documented exit code, and nothing appears under the output's final name.
#
# The full disk is a real one: an 8 MiB tmpfs in a private mount namespace
# (unshare -m, as tests/cli/test_faults.sh), for a 40 MiB artifact.
source "$(dirname "$0")/private_ns.sh"
source "$(dirname "$0")/lib.sh"

mount_small_fs 8m

load_temps() { find "$1" -maxdepth 1 -name '.cairn-load*' | wc -l; }

cairn init proj >/dev/null
cd proj
head -c $((40 << 20)) /dev/urandom > big.bin
expect_exit 0 "save 40 MiB" cairn save big.bin --key big.bin
expect_exit 0 "load 40 MiB" cairn load big.bin -o out.bin
check "the loaded copy is the saved file" same_file big.bin out.bin
rm out.bin

# A folder spanning many blocks: the unpacker is the sink, fed block by block.
mkdir -p tree/sub
for i in 1 2 3; do head -c $((3 << 20)) /dev/urandom > "tree/f$i.bin"; done
echo small > tree/sub/small.txt
expect_exit 0 "save a 9 MiB folder" cairn save tree --key tree
expect_exit 0 "load the folder" cairn load tree -o tree.out
check "the folder comes back whole" diff -r tree tree.out

# The write stage fails after 8 of 40 MiB: the other stages stop, exit 5.
expect_exit 5 "load onto a disk that fills mid-way" cairn load big.bin -o "$small/out.bin"
expect_err_contains "No space left on device"
check "no partial output on the full disk" [ -z "$(ls -A "$small")" ]
expect_exit 0 "audit verify after the failed load" cairn audit verify

# kill -9 mid-load: the output's temp file has grown, the final name never
# appears, and the next load into that folder removes the dead temp.
head -c $((200 << 20)) /dev/zero | tr '\0' 'y' > huge.bin
expect_exit 0 "save 200 MiB" cairn save huge.bin --key huge.bin
mkdir killed
landed=no
for attempt in 1 2 3 4 5; do
    "$CAIRN_BIN" load huge.bin -o killed/huge.bin >/dev/null 2>&1 &
    pid=$!
    bg_started $pid
    # Polls without sleeping: the whole load takes a fraction of a second.
    while ! exited "$pid"; do
        temp=$(find killed -maxdepth 1 -name '.cairn-load*' -size +1M | head -1)
        if [ -n "$temp" ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
    done
    wait_exit got 60 "$pid"
    if [ "$got" = 137 ]; then landed=yes; break; fi
    rm -f killed/huge.bin
done
check "kill -9 landed mid-load (attempt $attempt)" [ "$landed" = yes ]
check "no output under the final name after the kill" [ ! -e killed/huge.bin ]
check "the killed load left its temp" [ "$(load_temps killed)" = 1 ]
expect_exit 0 "the next load into that folder" cairn load big.bin -o killed/big.bin
check "it removed the dead load's temp" [ "$(load_temps killed)" = 0 ]
check "and loaded its own file whole" same_file big.bin killed/big.bin

# A segment in the middle of the stored object is damaged: exit 4, nothing
# written, not a byte printed.
obj=$(python3 -c 'import sqlite3; print(sqlite3.connect(".cairn/catalog.db").execute("SELECT object_name FROM artifact WHERE key = ?", ("big.bin",)).fetchone()[0])')
obj=.cairn/storage/$obj
check "the stored object is in the directory store" [ -f "$obj" ]
python3 - "$obj" <<'PY'
import os, sys
path = sys.argv[1]
middle = os.path.getsize(path) // 2
with open(path, "r+b") as f:
    f.seek(middle)
    b = f.read(1)
    f.seek(middle)
    f.write(bytes([b[0] ^ 0x40]))
PY
expect_exit 4 "load of an object damaged in the middle" cairn load big.bin -o tampered.bin
expect_err_contains "failed authentication"
check "no output file from a damaged object" [ ! -e tampered.bin ]
check "no temp left by the damaged load" [ "$(load_temps .)" = 0 ]
expect_exit 4 "load of the damaged object to stdout" cairn load big.bin -o -
check "nothing printed from a damaged object" [ ! -s "$T/out" ]
expect_exit 4 "verify-only load of the damaged object" cairn load big.bin -o /dev/null

finish
