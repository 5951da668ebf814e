# Shared helpers for CLI tests: each test runs the real binary in its own
# temporary HOME so key files, caches and instances never leak between tests.
set -euo pipefail

CAIRN_BIN=${CAIRN_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/cairn}
CAIRN_SOURCE_DIR=${CAIRN_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T=$(mktemp -d /tmp/cairn-test.XXXXXX)
export HOME=$T/home XDG_CACHE_HOME=$T/home/.cache XDG_CONFIG_HOME=$T/home/.config
mkdir -p "$HOME"
unset CAIRN_INSTANCE CAIRN_KEY_FILE CAIRN_RUN CAIRN_PASSPHRASE_FILE
cleanup_test() { rm -rf "$T"; }
trap cleanup_test EXIT
# set -e stops a test at an unchecked failing command; say where, or the
# test fails with no message at all.
trap 'rc=$?; echo "ABORTED: line $LINENO of ${0##*/}: $BASH_COMMAND exited $rc" >&2' ERR
cd "$T"

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

same_file() { cmp -s "$1" "$2"; }

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

# free_port : a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

finish() {
    echo "$(basename "$0"): $PASSED passed, $FAILED failed"
    [ "$FAILED" = 0 ]
}
