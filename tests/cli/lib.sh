# Shared helpers for CLI tests: each test runs the real binary in its own
# temporary HOME so key files, caches and instances never leak between tests.
set -euo pipefail

CAIRN_BIN=${CAIRN_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/cairn}
CAIRN_SOURCE_DIR=${CAIRN_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T=$(mktemp -d /tmp/cairn-test.XXXXXX)
export HOME=$T/home XDG_CACHE_HOME=$T/home/.cache XDG_CONFIG_HOME=$T/home/.config XDG_STATE_HOME=$T/home/.local/state
mkdir -p "$HOME"
unset CAIRN_INSTANCE CAIRN_KEY_FILE CAIRN_RUN CAIRN_PASSPHRASE_FILE
# Background processes a test starts (bg_started PID) are killed when the test
# exits on any path, so none outlives it or holds its files (or a pipe that
# ctest reads). Each is known by pid and start time, so a pid that the
# system has since given to another process is left alone.
BG_PIDS=()
proc_start() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
bg_started() {
    local st
    st=$(proc_start "$1") || return 0
    [ -n "$st" ] && BG_PIDS+=("$1:$st")
    return 0
}
cleanup_test() {
    local e
    for e in "${BG_PIDS[@]}"; do
        if [ "$(proc_start "${e%%:*}")" = "${e#*:}" ]; then kill -9 "${e%%:*}" 2>/dev/null || true; fi
    done
    rm -rf "$T"
}
trap cleanup_test EXIT
# set -e stops a test at an unchecked failing command; say where, or the
# test fails with no message at all.
trap 'rc=$?; echo "ABORTED: line $LINENO of ${0##*/}: $BASH_COMMAND exited $rc" >&2' ERR
cd "$T"

# mount_small_fs SIZE : a private tmpfs of SIZE (e.g. 24m) at $small, for
# full-disk tests (source private_ns.sh first); unmounted when the test ends.
mount_small_fs() {
    small=$T/small
    mkdir -p "$small"
    mount -t tmpfs -o "size=$1,mode=0700" tmpfs "$small"
    trap 'umount -l "$small" 2>/dev/null || true; cleanup_test' EXIT
}

PASSED=0
FAILED=0

cairn() { "$CAIRN_BIN" "$@"; }

fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
pass() { PASSED=$((PASSED + 1)); }

# check "description" command...   : passes when the command succeeds
check() { local d=$1; shift; if "$@"; then pass; else fail "$d"; fi; }

# expect_exit CODE "description" command...  : the command must exit with CODE
expect_exit() {
    local want=$1 d=$2; shift 2
    local got=0
    "$@" >"$T/out" 2>"$T/err" || got=$?
    if [ "$got" = "$want" ]; then pass; else fail "$d: exit $got, want $want; stderr: $(head -c 400 "$T/err")"; fi
}

# expect_err_contains TEXT : the last expect_exit's stderr contains TEXT
expect_err_contains() { if grep -qF -- "$1" "$T/err"; then pass; else fail "stderr lacks '$1': $(head -c 400 "$T/err")"; fi; }

# check_not "description" command... : passes when the command fails. Use it
# only on plain tools (grep, test) whose input cairn produced under an
# expect_exit first, so that a cairn that did not run cannot pass it.
check_not() { local d=$1; shift; if "$@"; then fail "$d"; else pass; fi; }

# check_no_match "description" GREP-ARGS... : passes when grep runs and finds
# nothing (exit 1). Unlike `! grep`, a grep that cannot read its input (a
# missing file: exit 2) fails the check instead of passing it.
check_no_match() {
    local d=$1; shift
    local rc=0
    grep "$@" >/dev/null 2>&1 || rc=$?
    case $rc in
        1) pass ;;
        0) fail "$d" ;;
        *) fail "$d: grep $* exited $rc" ;;
    esac
}

# exit_of VAR command... : runs the command and stores its exit code in VAR
# (set -e would stop the test at a non-zero one).
exit_of() { local __v=$1; shift; local __rc=0; "$@" || __rc=$?; printf -v "$__v" %s "$__rc"; }

same_file() { cmp -s "$1" "$2"; }

# flip_byte FILE OFFSET : inverts every bit of one byte in place. (Writing a
# fixed byte instead changes nothing when the byte was already that value:
# 1 run in 256 on ciphertext, and the test then fails for no reason.)
flip_byte() {
    python3 -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1)
    if len(b) != 1: sys.exit("flip_byte: offset past the end")
    f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xFF]))' "$1" "$2"
}

# wait_until "description" SECONDS command... : polls the command every 50 ms
# until it succeeds. Tests wait for the state they need, never for a fixed
# time; a deadline that passes is a failure (returns 1), never a silent go-on.
wait_until() {
    local d=$1 secs=$2; shift 2
    local deadline=$((SECONDS + secs))
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then fail "timed out after ${secs}s waiting for: $d"; return 1; fi
        sleep 0.05
    done
}

# exited PID : the process has exited (a zombie not yet waited for, or gone)
exited() {
    local st
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
    [ -z "$st" ] || [ "$st" = Z ]
}

# wait_exit VAR SECONDS PID : waits, with a deadline, for the background
# process PID to exit and stores its exit status in VAR. Past the deadline
# the test fails, PID is killed and VAR is "timeout".
wait_exit() {
    local __v=$1 secs=$2 pid=$3 rc=0
    if ! wait_until "process $pid to exit" "$secs" exited "$pid"; then
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        printf -v "$__v" timeout
        return 0
    fi
    wait "$pid" 2>/dev/null || rc=$?
    printf -v "$__v" %s "$rc"
}

# Kill tests. A save hashes and encrypts into a temp file (.incoming.tmp-*)
# in the instance's cache before it stores it; waiting until that file has
# grown proves a save has opened the catalog and is mid-way.
# cache_objects_dir : that folder, for the instance in the current directory
cache_objects_dir() {
    local id
    id=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT value FROM instance_info WHERE name = '"'instance_id'"'").fetchone()[0])' .cairn/catalog.db) || return 1
    echo "$XDG_CACHE_HOME/cairn/$id/objects"
}
# incoming_temps DIR : the temp files in DIR, one name a line, sorted
incoming_temps() { find "$1" -maxdepth 1 -name '.incoming*' -printf '%f\n' | sort; }
# new_temp DIR KNOWN : the first temp file in DIR that the file KNOWN (a
# sorted list of names) does not list
new_temp() { incoming_temps "$1" | comm -13 "$2" - | head -1; }
# new_temp_holds DIR KNOWN BYTES : that temp file exists and holds BYTES or more
new_temp_holds() {
    local f
    f=$(new_temp "$1" "$2")
    [ -n "$f" ] && [ "$(stat -c %s "$1/$f" 2>/dev/null || echo 0)" -ge "$3" ]
}

# free_port : a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

finish() {
    echo "$(basename "$0"): $PASSED passed, $FAILED failed"
    [ "$FAILED" = 0 ]
}
