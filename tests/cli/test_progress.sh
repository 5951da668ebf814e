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

# (set -e stops the test if a command below fails; each also shows its result,
# so a command that printed nothing cannot pass a "no progress" check.)
on_tty "\"$CAIRN_BIN\" --json load big.bin -o big2.out" > tty_json.out
check "--json load printed its JSON" grep -q '"uid"' tty_json.out
check "--json load round-trips" same_file big.bin big2.out
check_no_match "no progress with --json" -q 'loading' tty_json.out
on_tty "\"$CAIRN_BIN\" load big.bin -o big3.out --no-progress" > tty_np.out
check "--no-progress load round-trips" same_file big.bin big3.out
check_no_match "no progress with --no-progress" -q 'loading' tty_np.out
on_tty "\"$CAIRN_BIN\" -q load big.bin -o big4.out" > tty_q.out
check "--quiet load round-trips" same_file big.bin big4.out
check_no_match "no progress with --quiet" -q 'loading' tty_q.out
on_tty "\"$CAIRN_BIN\" save small.txt" > tty_small.out
check "small save printed its uid" grep -qE '^[0-9a-v]{16}' tty_small.out
check_no_match "no progress for small files" -q 'saving' tty_small.out

cairn load big.bin -o big5.out 2> piped.err >/dev/null
check "piped load round-trips" same_file big.bin big5.out
check "no progress when stderr is piped" [ ! -s piped.err ]
echo more >> big.bin
cairn save big.bin --key big.bin 2> piped_save.err >/dev/null
check "a piped save says what it saved" grep -q 'saved big.bin v2' piped_save.err
check_no_match "no progress on a piped save" -q saving piped_save.err

# Colour: red "error:" on a terminal unless NO_COLOR is set; never when piped.
exit_of got on_tty "\"$CAIRN_BIN\" load no/such" > tty_err.out
check "missing artifact on a TTY exits 3 (got $got)" [ "$got" = 3 ]
check "red error on a TTY" grep -q $'\033\\[31merror:' tty_err.out
exit_of got on_tty "NO_COLOR=1 \"$CAIRN_BIN\" load no/such" > tty_nocolor.out
check "missing artifact with NO_COLOR exits 3 (got $got)" [ "$got" = 3 ]
check "NO_COLOR: the error is there" grep -q 'error:' tty_nocolor.out
check_no_match "NO_COLOR turns colour off" -q $'\033' tty_nocolor.out
expect_exit 3 "missing artifact" cairn load no/such
expect_err_contains "error:"
check_no_match "no colour when piped" -q $'\033' "$T/err"

finish
