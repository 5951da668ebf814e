#!/usr/bin/env bash
# Progress appears on stderr only on a terminal, never with --json, --quiet,
# --no-progress or when piped; colour follows the TTY and NO_COLOR.
source "$(dirname "$0")/lib.sh"

cairn init proj >/dev/null 2>&1
cd proj
head -c 20000000 /dev/urandom > big.bin
echo small > small.txt

# on_tty COMMAND : runs COMMAND with stdin/stdout/stderr on a pseudo-terminal (util-linux script)
on_tty() { script -qec "$1" /dev/null < /dev/null; }

on_tty "\"$CAIRN_BIN\" save big.bin --key big.bin" > tty_save.out
check "save shows progress on a TTY" grep -q 'saving big.bin.*%' tty_save.out
check "the progress line is cleared" grep -q $'\033\\[K' tty_save.out
on_tty "\"$CAIRN_BIN\" load big.bin -o big.out" > tty_load.out
check "load shows progress on a TTY" grep -q 'loading big.bin.*%' tty_load.out
check "load still round-trips" same_file big.bin big.out

on_tty "\"$CAIRN_BIN\" --json load big.bin -o big2.out" > tty_json.out
check "no progress with --json" bash -c "! grep -q 'loading' tty_json.out"
on_tty "\"$CAIRN_BIN\" load big.bin -o big3.out --no-progress" > tty_np.out
check "no progress with --no-progress" bash -c "! grep -q 'loading' tty_np.out"
on_tty "\"$CAIRN_BIN\" -q load big.bin -o big4.out" > tty_q.out
check "no progress with --quiet" bash -c "! grep -q 'loading' tty_q.out"
on_tty "\"$CAIRN_BIN\" save small.txt" > tty_small.out
check "no progress for small files" bash -c "! grep -q 'saving' tty_small.out"

cairn load big.bin -o big5.out 2> piped.err >/dev/null
check "no progress when stderr is piped" [ ! -s piped.err ]
echo more >> big.bin
cairn save big.bin --key big.bin 2> piped_save.err >/dev/null
check "no progress on a piped save" bash -c "! grep -q saving piped_save.err"

# Colour: red "error:" on a terminal unless NO_COLOR is set; never when piped.
on_tty "\"$CAIRN_BIN\" load no/such" > tty_err.out || true
check "red error on a TTY" grep -q $'\033\\[31merror:' tty_err.out
on_tty "NO_COLOR=1 \"$CAIRN_BIN\" load no/such" > tty_nocolor.out || true
check "NO_COLOR turns colour off" bash -c "! grep -q \$'\\033' tty_nocolor.out"
expect_exit 3 "missing artifact" cairn load no/such
check "no colour when piped" bash -c "! grep -q \$'\\033' \"$T/err\""

finish
