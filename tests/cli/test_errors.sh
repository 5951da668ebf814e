#!/usr/bin/env bash
# Bad input gets a clear error, the documented exit code, and leaves nothing.
source "$(dirname "$0")/lib.sh"

expect_exit 7 "no instance" cairn ls
expect_err_contains "no cairn instance"
expect_exit 7 "--instance to nowhere" cairn --instance "$T/nope" ls
cairn init proj >/dev/null
cd proj
expect_exit 8 "init twice" cairn init .
expect_err_contains "already exists"
expect_exit 2 "unknown command" cairn frobnicate
expect_exit 3 "missing path" cairn save does-not-exist
expect_err_contains "no such file"
echo x > f
expect_exit 2 "key with .." cairn save f --key ../escape
expect_exit 2 "key with control char" cairn save f --key "$(printf 'a\tb')"
expect_exit 2 "key too long" cairn save f --key "$(head -c 1100 /dev/zero | tr '\0' a)"
expect_exit 2 "key not utf-8" cairn save f --key "$(printf 'bad\xff')"
# Lookalike keys (issue 15 item 4): one visible name, one key.
expect_exit 0 "an NFC key" cairn save f --key "$(printf 'caf\xc3\xa9.txt')"
expect_exit 2 "the NFD spelling of a saved key" cairn save f --key "$(printf 'cafe\xcc\x81.txt')"
expect_err_contains "not in Unicode NFC form"
expect_exit 2 "a right-to-left override" cairn save f --key "$(printf 'report\xe2\x80\xaetxt.exe')"
expect_err_contains "U+202E"
expect_exit 2 "a zero width space" cairn save f --key "$(printf 'a\xe2\x80\x8bb')"
expect_exit 2 "a trailing slash" cairn save f --key dir/
expect_err_contains "ends with '/'"
check "only the NFC key was saved" [ "$(cairn ls --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ]
expect_exit 2 "key absolute" cairn save f --key /etc/passwd
expect_exit 2 "key with version suffix" cairn save f --key "x@v3"
expect_exit 3 "load missing artifact" cairn load nothing-here
expect_err_contains "no artifact"
echo secret > unreadable && chmod 000 unreadable
# Root reads any file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), and CI runs as
# root: there cairn runs without those capabilities, so file permissions bind
# it as they bind an ordinary owner. No skip: if setpriv cannot drop them,
# the checks below fail.
if [ "$(id -u)" = 0 ]; then
    as_user() { setpriv --bounding-set -dac_override,-dac_read_search "$@"; }
else
    as_user() { "$@"; }
fi
check_not "the file is unreadable where cairn runs" as_user bash -c 'cat unreadable 2>/dev/null'
expect_exit 0 "cairn works there otherwise" as_user "$CAIRN_BIN" ls
expect_exit 6 "unreadable file" as_user "$CAIRN_BIN" save unreadable
expect_err_contains "cannot read unreadable"
expect_exit 2 "bad flag" cairn save f --no-such-flag
check "nothing saved by failures (the NFC key aside)" [ "$(cairn ls --json | python3 -c 'import json,sys; print([a["key"] for a in json.load(sys.stdin)])')" = "['café.txt']" ]
# ls pads by display width (issue 15): with an ASCII key beside 'café.txt'
# (one column, two bytes for é) and a wide '数据.txt', every column starts
# at the same display column on every row.
cairn save f --key plain.txt >/dev/null
cairn save f --key 数据.txt >/dev/null
expect_exit 0 "ls with non-ASCII keys" cairn ls
check "ls columns line up whatever the key's bytes" python3 - "$T/out" <<'PY'
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
# the display column where the UID (the last field) starts, on every row
starts = {width(r[: r.rstrip().rfind(" ") + 1]) for r in rows}
sys.exit(0 if len(rows) == 4 and len(starts) == 1 else 1)
PY

# A link that leads nowhere is named as the link, with its target.
ln -s nowhere dangling && ln -s loop-b loop-a && ln -s loop-a loop-b
expect_exit 3 "a dangling link" cairn save dangling
expect_err_contains "dangling is a symbolic link to nowhere, which does not exist"
expect_exit 3 "a link loop" cairn save loop-a
expect_err_contains "loop-a is a symbolic link to loop-b, which loops back on itself"
mkdir linked && ln -s ../f linked/up
expect_exit 2 "a folder holding a link names the link" cairn save linked
expect_err_contains "folder contains a symbolic link: up"
rm -r dangling loop-a loop-b linked

# Non-UTF-8 file names work as paths and default keys are refused cleanly.
touch "$(printf 'name\xff.bin')"
expect_exit 2 "non-UTF-8 default key" cairn save "$(printf 'name\xff.bin')"
expect_exit 0 "non-UTF-8 path with a valid key" cairn save "$(printf 'name\xff.bin')" --key ok.bin

# A corrupt config names the file and line.
cp .cairn/config.yaml cfg.bak
printf 'version: 1\nbogus_key: 3\n' >> .cairn/config.yaml
expect_exit 7 "unknown config key" cairn ls
expect_err_contains "config.yaml:"
expect_err_contains "bogus_key"
printf 'storage: [unclosed\n' > .cairn/config.yaml
expect_exit 7 "malformed yaml" cairn ls
cp cfg.bak .cairn/config.yaml

# --json errors are machine readable.
expect_exit 3 "--json load of a missing artifact" cairn --json load nothing-here
check "json error has kind" grep -q '"kind": "not_found"' "$T/out"

# Output file already there: refuse without --force.
cairn save f --key f >/dev/null
echo keep > existing
expect_exit 8 "refuse to overwrite" cairn load f -o existing
check "existing file kept" [ "$(cat existing)" = keep ]

# A device as output is refused, never replaced by a file.
mkfifo fifo
expect_exit 2 "fifo output refused" cairn load f -o fifo --force
check "fifo still a fifo" [ -p fifo ]
# -o /dev/null verifies without keeping anything (issue 15, messages).
expect_exit 0 "load -o /dev/null verifies" cairn load f -o /dev/null
check "/dev/null is still the null device" [ -c /dev/null ]
check "the load is recorded as a verification" \
    [ "$(cairn audit --action load --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["details"]["output"])')" = verify ]
obj=.cairn/storage/$(python3 -c "import sqlite3; print(sqlite3.connect('.cairn/catalog.db').execute(\"SELECT object_name FROM artifact WHERE key = 'f'\").fetchone()[0])")
chmod u+w "$obj"; flip_byte "$obj" 100
expect_exit 4 "load -o /dev/null of a damaged object fails" cairn load f -o /dev/null

finish
