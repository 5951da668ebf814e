#!/usr/bin/env bash
# Issue 17 item 2: new artifacts are identified by the tree hash
# (docs/FORMAT.md section 4), verified at load; `load --range A-B` reads and
# verifies only the leaves it needs; `save --sha256` gives the plain SHA-256;
# artifacts saved before (plain SHA-256, made here with the test hook
# CAIRN_TEST_SAVE_PLAIN_SHA256=1, which saves exactly as cairn did before)
# still load, verify and deduplicate.
source "$(dirname "$0")/lib.sh"

L=1048576
cairn init proj >/dev/null
export CAIRN_INSTANCE=$T/proj
db=$T/proj/.cairn/catalog.db
sql() { python3 -c 'import sqlite3,sys; print("\n".join("|".join(map(str, r)) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2], sys.argv[3:])))' "$db" "$@"; }
object_of() { sql "SELECT s.url || '/' || a.object_name FROM artifact a JOIN storage s ON s.id = a.storage_id WHERE a.key = ? AND a.is_latest = 1" "$1"; }
hash_of() { sql "SELECT hash FROM artifact WHERE key = ? AND is_latest = 1" "$1"; }
# bytes FILE A B : bytes A..B (inclusive) of FILE
bytes() { tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2 + 1)); }

# Sizes around the leaf: empty, one byte, L-1, L, L+1, 3L+5.
for n in 0 1 $((L - 1)) $L $((L + 1)) $((3 * L + 5)); do
    head -c "$n" /dev/urandom > "f$n"
    expect_exit 0 "save $n bytes" cairn save "f$n" --key "f/$n"
    check "f/$n has a tree hash" [ "$(hash_of "f/$n" | cut -c1-6)" = tree1: ]
    expect_exit 0 "ls f/$n" cairn ls "f/$n"
    check "ls shows the kind and 12 digits of the digest" grep -qE " $(hash_of "f/$n" | cut -c1-18) " "$T/out"
    expect_exit 0 "load $n bytes" cairn load "f/$n" -o "out$n"
    check "f/$n comes back whole" same_file "f$n" "out$n"
    size=$(sql "SELECT stored_size FROM artifact WHERE key = ?" "f/$n")
    leaves=$(( n == 0 ? 1 : (n + L - 1) / L ))
    check "f/$n: the object holds content, leaf table and tags" \
        [ "$(stat -c %s "$(object_of "f/$n")")" = "$size" ]
done

# Ranges, inclusive, across leaf boundaries, the last byte, one byte.
big=f$((3 * L + 5))
for r in "0-0" "0-$((L - 1))" "$((L - 1))-$L" "$((L - 3))-$((2 * L + 3))" "$((3 * L))-$((3 * L + 4))" "5-$((3 * L + 4))"; do
    a=${r%-*} b=${r#*-}
    rm -f part
    expect_exit 0 "range $r to a file" cairn load "f/$((3 * L + 5))" --range "$r" -o part
    check "range $r is bytes $a..$b" cmp -s part <(bytes "$big" "$a" "$b")
    check "range $r output is 0600" [ "$(stat -c %a part)" = 600 ]
done
expect_exit 0 "range to stdout" cairn load "f/$((3 * L + 5))" --range "$((L - 2))-$((L + 1))" -o -
check "stdout holds the 4 bytes" cmp -s "$T/out" <(bytes "$big" $((L - 2)) $((L + 1)))
expect_exit 0 "range of exactly one leaf" cairn load "f/$L" --range "0-$((L - 1))" -o one
check "the one-leaf range is the file" same_file one "f$L"
expect_exit 0 "the byte after the leaf" cairn load "f/$((L + 1))" --range "$L-$L" -o last
check "leaf+1: its last byte" cmp -s last <(bytes "f$((L + 1))" $L $L)
expect_exit 0 "range to /dev/null verifies" cairn load "f/$((3 * L + 5))" --range 0-10 -o /dev/null
check "the audit event records the range" [ "$(sql "SELECT count(*) FROM audit_event WHERE action = 'load' AND details LIKE '%\"range\":\"0-10\"%'")" = 1 ]

# Bad ranges: usage error (2) with a clear message, never 1, nothing written.
for r in "10-5" "abc" "5" "-5" "1-" "+1-2" "1-99999999999999999999999" " 1-2"; do
    expect_exit 2 "--range '$r' is a usage error" cairn load "f/$L" --range "$r" -o bad
    expect_err_contains "invalid --range"
done
expect_exit 2 "a range past the end" cairn load "f/$L" --range "0-$L" -o bad
expect_err_contains "goes past the end"
expect_err_contains "last byte $((L - 1))"
expect_exit 2 "any range of an empty file" cairn load f/0 --range 0-0 -o bad
expect_err_contains "the artifact is empty"
expect_exit 2 "--range without -o" cairn load f/1 --range 0-0
expect_err_contains "needs an output"
mkdir -p dir/sub; echo a > dir/a; echo b > dir/sub/b
expect_exit 0 "save a folder" cairn save dir --key dir
check "a folder has a tree hash too" [ "$(hash_of dir | cut -c1-6)" = tree1: ]
expect_exit 2 "a range of a folder is refused" cairn load dir --range 0-3 -o bad
expect_err_contains "is a folder"
check "no output for any refused range" [ ! -e bad ]

# Tampering: a flipped byte in leaf 1 fails a range over it (exit 4, no
# output), not a range elsewhere; a whole load fails.
o=$(object_of "f/$((3 * L + 5))")
cp "$o" saved-object; chmod u+w "$o"
H=$((23 + 16 + 16))
flip_byte "$o" $((H + (L + 16) + 1000))
expect_exit 4 "a range over the flipped byte" cairn load "f/$((3 * L + 5))" --range "$((L + 500))-$((L + 2000))" -o bad
check "no output for a damaged range" [ ! -e bad ]
expect_exit 4 "a range across it to stdout" cairn load "f/$((3 * L + 5))" --range "0-$((2 * L))" -o -
check "stdout got nothing" [ ! -s "$T/out" ]
expect_exit 0 "a range in an intact leaf" cairn load "f/$((3 * L + 5))" --range "$((2 * L))-$((2 * L + 10))" -o ok
expect_exit 4 "a whole load of the damaged object" cairn load "f/$((3 * L + 5))" -o bad
cp saved-object "$o"
# A damaged leaf table (its last segment): every range is refused.
size=$(stat -c %s "$o")
flip_byte "$o" $((size - 20))
expect_exit 4 "a damaged leaf table fails any range" cairn load "f/$((3 * L + 5))" --range 0-0 -o bad
cp saved-object "$o"

# save --sha256: the plain SHA-256, as sha256sum prints it, and in the audit event.
expect_exit 0 "save --sha256" cairn save "f$L" --key f/$L --sha256
check "the second line is sha256sum's" [ "$(sed -n 2p "$T/out")" = "$(sha256sum "f$L")" ]
expect_exit 0 "save --sha256 --json" cairn save f1 --key f/1 --sha256 --json
check "json carries sha256" python3 -c 'import json,sys,hashlib; j=json.load(open(sys.argv[1])); assert j["sha256"] == hashlib.sha256(open(sys.argv[2],"rb").read()).hexdigest() and j["existed"]' "$T/out" f1
check "the save event records it" [ "$(sql "SELECT count(*) FROM audit_event WHERE action = 'save' AND details LIKE ?" "%$(sha256sum f1 | cut -c1-64)%")" -ge 1 ]

# Artifacts saved before the tree hash: plain SHA-256, no leaf table.
head -c $((2 * L + 7)) /dev/urandom > old.bin
expect_exit 0 "save as before issue 17" env CAIRN_TEST_SAVE_PLAIN_SHA256=1 "$CAIRN_BIN" save old.bin --key old
old_uid=$(head -1 "$T/out")
check "the old artifact has a plain SHA-256" [ "$(hash_of old)" = "$(sha256sum old.bin | cut -c1-64)" ]
expect_exit 0 "ls old" cairn ls old
check "ls shows 12 digits of the plain SHA-256, as sha256sum starts" grep -qE " $(sha256sum old.bin | cut -c1-12) " "$T/out"
expect_exit 0 "an old artifact loads" cairn load old -o old.out
check "and comes back whole" same_file old.bin old.out
expect_exit 0 "the same content saved now" cairn save old.bin --key old
check "dedup finds the old artifact" [ "$(head -1 "$T/out")" = "$old_uid" ]
expect_err_contains "unchanged"
check "still one version" [ "$(sql "SELECT count(*) FROM artifact WHERE key = 'old'")" = 1 ]
expect_exit 2 "a range of an old artifact is refused" cairn load old --range 0-1 -o bad
expect_err_contains "saved before tree hashes"
# An old object damaged: the plain hash still guards it (via AES-GCM first).
echo changed >> old.bin
expect_exit 0 "new content under the old key" cairn save old.bin --key old
check "version 2 has a tree hash" [ "$(hash_of old | cut -c1-6)" = tree1: ]
expect_exit 0 "the new version loads" cairn load old -o new.out
check "v2 is the new content" same_file old.bin new.out
expect_exit 0 "v1 loads after v2" cairn load old@v1 -o v1.out
check "v1 is unchanged" [ "$(head -c $((2 * L + 7)) old.bin | sha256sum)" = "$(sha256sum < v1.out)" ]
expect_exit 0 "the trail verifies" cairn audit verify

# A row whose hash kind was switched fails its seal (exit 4).
sql "SELECT 1" >/dev/null
python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE artifact SET hash = substr(hash, 7) WHERE key = 'f/1'")
c.commit()
PY
expect_exit 4 "a tree hash turned into a plain one fails the seal" cairn load f/1 -o bad

finish
