#!/usr/bin/env bash
# Eight processes saving and loading on one instance at the same time all succeed.
source "$(dirname "$0")/lib.sh"

cairn init proj >/dev/null
cd proj
for i in $(seq 1 8); do head -c $((200000 + i * 1000)) /dev/urandom > "in$i.bin"; done
cairn save in1.bin --key shared/seed.bin >/dev/null

worker() {
    local i=$1
    for round in 1 2 3; do
        "$CAIRN_BIN" save "in$i.bin" --key "w$i/data.bin" >/dev/null || return 1
        "$CAIRN_BIN" save "in$i.bin" --key "shared/all.bin" >/dev/null || return 1
        "$CAIRN_BIN" load "w$i/data.bin" -o "out$i.$round.bin" >/dev/null || return 1
        "$CAIRN_BIN" load shared/seed.bin -o "seed$i.$round.bin" >/dev/null || return 1
        "$CAIRN_BIN" ls >/dev/null || return 1
    done
}
pids=()
for i in $(seq 1 8); do worker "$i" & pids+=($!); done
ok=0
for p in "${pids[@]}"; do wait "$p" || ok=1; done
check "all 8 workers succeeded" [ $ok = 0 ]
for i in $(seq 1 8); do
    check "worker $i data intact" same_file "in$i.bin" "out$i.3.bin"
    check "worker $i seed intact" same_file in1.bin "seed$i.3.bin"
done
# shared/all.bin: 8 distinct contents, each saved 3 times -> exactly 8 versions.
n=$(cairn ls shared/all.bin --all-versions --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "8 distinct versions of shared/all.bin (got $n)" [ "$n" = 8 ]
latest=$(cairn ls shared/all.bin --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "exactly one latest version" [ "$latest" = 1 ]

finish
