#!/usr/bin/env bash
# docs/FORMAT.md is enough for an outsider (issue 15 item 7): the
# independent reader tests/vectors/reader.py, written from that document
# alone with Python's `cryptography`, decrypts every kind of object cairn
# writes and gets the same bytes as `cairn load`: files (empty, one byte
# short of a segment, exactly two segments, several), a folder, a
# write-only save (type 02), after a key rotation (header key id is
# stale), through a passphrase-protected key file, an RSA member's grant
# (type 03) and an X25519 member's grant (type 04). It refuses what the
# document says a reader must refuse.
source "$(dirname "$0")/lib.sh"

reader() { python3 "$CAIRN_SOURCE_DIR/tests/vectors/reader.py" --instance "$T/proj/.cairn" "$@"; }

# same_as_load KEY ARGS... : reader with ARGS and `cairn load KEY` agree.
same_as_load() {
    local key=$1 name; shift
    name=$(echo "$key" | tr '/' '_')
    rm -rf "$T/by-reader-$name" "$T/by-cairn-$name"
    expect_exit 0 "cairn load $key" cairn load "$key" -o "$T/by-cairn-$name"
    expect_exit 0 "reader reads $key ($*)" reader --key "$key" "$@" -o "$T/by-reader-$name"
    check "reader and cairn agree on $key ($*)" diff -r "$T/by-cairn-$name" "$T/by-reader-$name"
}

cairn init proj >/dev/null
export CAIRN_INSTANCE=$T/proj
KEYFILE=$(ls "$XDG_CONFIG_HOME"/cairn/keys/*.key)

# Sizes around the 1 MiB segment: empty, one byte, S-1, S, 2S, 2S+1.
mkdir -p "$T/in"
S=1048576
for n in 0 1 $((S - 1)) $S $((2 * S)) $((2 * S + 1)) 3000000; do
    head -c "$n" /dev/urandom > "$T/in/f$n"
    cairn save "$T/in/f$n" --key "files/f$n" >/dev/null 2>&1
done
mkdir -p "$T/tree/sub/deep" "$T/tree/void"
printf 'alpha\n' > "$T/tree/a.txt"
head -c 70000 /dev/urandom > "$T/tree/sub/b.bin"
: > "$T/tree/sub/deep/empty"
printf '#!/bin/sh\necho hi\n' > "$T/tree/run.sh"; chmod 755 "$T/tree/run.sh"
cairn save "$T/tree" --key folders/tree >/dev/null 2>&1

for n in 0 1 $((S - 1)) $S $((2 * S)) $((2 * S + 1)) 3000000; do
    same_as_load "files/f$n" --key-file "$KEYFILE"
done
same_as_load folders/tree --key-file "$KEYFILE"
check "reader restores the executable bit" [ -x "$T/by-reader-folders_tree/run.sh" ]
check "reader makes other files 0600" [ "$(stat -c %a "$T/by-reader-folders_tree/a.txt")" = 600 ]

# A second version: the reader picks the latest, or the one asked for.
printf 'second\n' > "$T/in/v"; cairn save "$T/in/v" --key files/v >/dev/null 2>&1
printf 'third\n' > "$T/in/v"; cairn save "$T/in/v" --key files/v >/dev/null 2>&1
expect_exit 0 "reader, version 1" reader --key files/v --version 1 --key-file "$KEYFILE" -o "$T/v1"
check "version 1 is the first content" [ "$(cat "$T/v1")" = second ]
same_as_load files/v --key-file "$KEYFILE"

# Write-only save: the data key is sealed to the instance X25519 key (type 02).
expect_exit 0 "export write-only" cairn key export-write-only "$T/wo.key"
printf 'from a batch job\n' > "$T/in/job"
expect_exit 0 "write-only save" env CAIRN_KEY_FILE="$T/wo.key" "$CAIRN_BIN" save "$T/in/job" --key jobs/out
check "write-only save is type 02" [ "$(python3 -c "import sqlite3,sys; print(bytes(sqlite3.connect(sys.argv[1]).execute(\"SELECT wrapped_key FROM artifact WHERE key='jobs/out'\").fetchone()[0])[0])" "$T/proj/.cairn/catalog.db")" = 2 ]
same_as_load jobs/out --key-file "$KEYFILE"

# Members: an RSA-3072 and an X25519 identity, each with its own grant.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$T/rsa.pem" 2>/dev/null
openssl pkey -in "$T/rsa.pem" -pubout -out "$T/rsa.pub"
openssl genpkey -algorithm X25519 -out "$T/x.pem"
openssl pkey -in "$T/x.pem" -pubout -out "$T/x.pub"
chmod 600 "$T/rsa.pem" "$T/x.pem"
expect_exit 0 "grant the RSA member" cairn access grant rsa-ann --public-key "$T/rsa.pub" --role reader
expect_exit 0 "grant the X25519 member" cairn access grant x-bob --public-key "$T/x.pub" --role reader
same_as_load files/f3000000 --identity "$T/rsa.pem"
same_as_load folders/tree --identity "$T/x.pem"

# After a rotation every data key is rewrapped; the headers keep the old id.
old_id=$(sed -n 's/^key-id: //p' "$KEYFILE")
expect_exit 0 "rotate" cairn key rotate
check "the key id changed" [ "$(sed -n 's/^key-id: //p' "$KEYFILE")" != "$old_id" ]
same_as_load files/f1 --key-file "$KEYFILE"
same_as_load jobs/out --key-file "$KEYFILE"
same_as_load folders/tree --identity "$T/rsa.pem"

# A passphrase-protected copy of the key file (scrypt), CRLF passphrase file.
printf 'correct horse\r\n' > "$T/pass"; chmod 600 "$T/pass"
expect_exit 0 "export a sealed key file" env CAIRN_PASSPHRASE_FILE="$T/pass" "$CAIRN_BIN" key export --passphrase "$T/sealed.key"
same_as_load files/f$((2 * S + 1)) --key-file "$T/sealed.key" --passphrase-file "$T/pass"
printf 'wrong\n' > "$T/badpass"
expect_exit 1 "reader refuses a wrong passphrase" reader --key files/f1 --key-file "$T/sealed.key" --passphrase-file "$T/badpass" -o "$T/never"
check "nothing written with a wrong passphrase" [ ! -e "$T/never" ]

# The reader refuses what the document says must be refused. Its checks
# can fail: a flipped byte in a segment, a truncated object, a swapped object.
obj() { python3 -c "import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(\"SELECT s.url || '/' || a.object_name FROM artifact a JOIN storage s ON s.id=a.storage_id WHERE a.key=? AND a.is_latest=1\", (sys.argv[2],)).fetchone(); print(r[0])" "$T/proj/.cairn/catalog.db" "$1"; }
o=$(obj files/f3000000)
H=$((23 + 16 + 16)) # header: uid and key id are 16 characters each
cp "$o" "$T/saved-object"; chmod u+w "$o"
flip_byte "$o" 2000000
expect_exit 1 "reader refuses a flipped byte" reader --key files/f3000000 --key-file "$KEYFILE" -o "$T/never"
check "nothing written for a flipped byte" [ ! -e "$T/never" ]
truncate -s $((H + S + 16 + 40)) "$o"
expect_exit 1 "reader refuses an object cut inside a segment" reader --key files/f3000000 --key-file "$KEYFILE" -o "$T/never"
truncate -s $((H + S + 16)) "$o"
expect_exit 1 "reader refuses an object cut at a segment boundary" reader --key files/f3000000 --key-file "$KEYFILE" -o "$T/never"
expect_err_contains "final segment missing"
cp "$(obj files/f1)" "$o"
expect_exit 1 "reader refuses another artifact's object" reader --key files/f3000000 --key-file "$KEYFILE" -o "$T/never"
expect_err_contains "another artifact"
expect_exit 4 "cairn refuses the swapped object too" cairn load files/f3000000 -o "$T/never"
cp "$T/saved-object" "$o"
same_as_load files/f3000000 --key-file "$KEYFILE"

# The tree hash (issue 17): every artifact above has one, and the reader
# recomputed it from FORMAT.md section 4. Its vectors in FORMAT.md section 5
# are what the independent generator prints.
check "files carry tree hashes" [ "$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM artifact WHERE hash NOT LIKE 'tree1:%'\").fetchone()[0])" "$T/proj/.cairn/catalog.db")" = 0 ]
while read -r n h; do
    check "FORMAT.md lists the tree vector for $n bytes" grep -qF "| $n | \`$h\` |" "$CAIRN_SOURCE_DIR/docs/FORMAT.md"
done < <(python3 "$CAIRN_SOURCE_DIR/tests/vectors/make_tree_v1.py")
# A leaf table that does not hold the content's leaf digests is refused,
# even when re-encrypted with the right key (cairn's load would not see
# this; its range reads would): the reader checks the table too.
# And a plain SHA-256 artifact (saved as before issue 17) still reads.
head -c 1500000 /dev/urandom > "$T/in/old"
expect_exit 0 "save as before issue 17" env CAIRN_TEST_SAVE_PLAIN_SHA256=1 "$CAIRN_BIN" save "$T/in/old" --key files/old
same_as_load files/old --key-file "$KEYFILE"
o=$(obj files/f$((2 * S + 1)))
cp "$o" "$T/saved-object"; size=$(stat -c %s "$o")
flip_byte "$o" $((size - 30))
expect_exit 1 "reader refuses a damaged leaf table" reader --key files/f$((2 * S + 1)) --key-file "$KEYFILE" -o "$T/never"
cp "$T/saved-object" "$o"

finish
