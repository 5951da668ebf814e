#!/usr/bin/env bash
# init, save, load, ls, versions, dedupe, folders, refs.
source "$(dirname "$0")/lib.sh"

cairn init proj >/dev/null
cd proj
head -c 3000000 /dev/urandom > data.bin
echo "marker-7f3a9c-plaintext-must-not-appear" > small.csv

uid=$(cairn save data.bin --key exp/data.bin)
check "save prints a uid" [ ${#uid} = 16 ]
cairn load exp/data.bin -o out.bin >/dev/null
check "load round-trips bytes" same_file data.bin out.bin
check "loaded file is 0600" [ "$(stat -c %a out.bin)" = 600 ]

uid_again=$(cairn save data.bin --key exp/data.bin 2>"$T/err2")
check "same content returns the existing artifact" [ "$uid_again" = "$uid" ]
check "and says so" grep -q unchanged "$T/err2"

echo more >> data.bin
uid2=$(cairn save data.bin --key exp/data.bin)
check "new content makes a new artifact" [ "$uid2" != "$uid" ]
check "v2 is latest in ls" bash -c "\"$CAIRN_BIN\" ls --json | grep -q '\"version\": 2'"
cairn load exp/data.bin@v1 -o v1.bin >/dev/null
check "key@v1 still loads v1" cmp -s v1.bin out.bin
cairn load "$uid2" -o v2.bin >/dev/null
check "load by uid" same_file v2.bin data.bin
check "stdout load" bash -c "\"$CAIRN_BIN\" load exp/data.bin@v2 -o - | cmp -s - data.bin"

# A path without -o gives a private working copy.
wc=$(cairn load exp/data.bin)
check "working copy exists" same_file "$wc" data.bin
check "working copy is 0600" [ "$(stat -c %a "$wc")" = 600 ]

# Folders are one artifact.
mkdir -p tree/sub && echo one > tree/a.txt && echo two > tree/sub/b.txt && : > tree/empty
cairn save tree --key exp/tree >/dev/null
cairn load exp/tree -o tree.out >/dev/null
check "folder round trip" diff -r tree tree.out
check "folder ls shows 3 files" bash -c "\"$CAIRN_BIN\" ls exp/tree --json | grep -q '\"n_files\": 3'"

# The hash is the tree hash of the content (docs/FORMAT.md section 4, as the
# independent tests/vectors/make_tree_v1.py computes it); --sha256 gives
# what sha256sum prints.
h=$(cairn ls exp/data.bin --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["hash"])')
check "hash is the tree hash of the content" [ "$h" = "$(PYTHONPATH="$CAIRN_SOURCE_DIR/tests/vectors" python3 -c 'import sys, make_tree_v1 as m; print(m.tree_hash(open(sys.argv[1], "rb").read()))' data.bin)" ]
check "save --sha256 prints sha256sum's line" [ "$(cairn save data.bin --key exp/data.bin --sha256 2>/dev/null | sed -n 2p)" = "$(sha256sum data.bin)" ]

# Discovery from a subdirectory and via CAIRN_INSTANCE.
mkdir -p deep/er
expect_exit 0 "ls from a subdirectory" env -C deep/er "$CAIRN_BIN" ls
check "found from subdirectory" grep -q exp/data.bin "$T/out"
expect_exit 0 "ls via CAIRN_INSTANCE" env -C / CAIRN_INSTANCE="$T/proj" "$CAIRN_BIN" ls --json
check "found via CAIRN_INSTANCE" grep -q exp/data.bin "$T/out"

# Object names in storage reveal nothing.
find .cairn/storage -type f > "$T/objects"
check "storage holds the 3 objects saved (got $(wc -l < "$T/objects"))" [ "$(wc -l < "$T/objects")" = 3 ]
check_no_match "no key in object names" -q -e data -e exp -e "$h" "$T/objects"
cairn save small.csv --key small.csv >/dev/null
check "storage holds small.csv's object" [ "$(find .cairn/storage -type f | wc -l)" = 4 ]
check_no_match "storage holds ciphertext only" -rqF marker-7f3a9c .cairn/storage
big_object=$(find .cairn/storage -type f -size +2M | head -1)
check "a stored object of data.bin's size" [ -n "$big_object" ]
check_not "stored object is not the plaintext" cmp -s data.bin "$big_object"
# A local-directory store is read in place: saves and loads cache no copy
# (S3 caching is tested in tests/s3/test_cli_s3.sh).
objects=$(cache_objects_dir)
check "the cache's objects folder exists" [ -d "$objects" ]
check "no cached copy of local objects" [ "$(find "$objects" -type f | wc -l)" = 0 ]
check "load of a local object is not from the cache" bash -c "\"$CAIRN_BIN\" --json load small.csv -o s.out | grep -q '\"from_cache\": false'"

# A damaged or missing object in a directory store: exit 4, nothing written,
# and the message names what is wrong.
obj=".cairn/storage/$(python3 -c "import sqlite3; print(sqlite3.connect('.cairn/catalog.db').execute(\"select object_name from artifact where key='small.csv'\").fetchone()[0])")"
cp "$obj" "$T/orig.obj"
python3 -c "
import sys; p=sys.argv[1]; d=bytearray(open(p,'rb').read()); d[len(d)//2]^=1; open(p,'wb').write(d)" "$obj"
expect_exit 4 "a flipped bit in the stored object fails" cairn load small.csv -o bad1.out
check "and writes nothing" [ ! -e bad1.out ]
truncate -s 10 "$obj"
expect_exit 4 "a truncated stored object fails" cairn load small.csv -o bad2.out
expect_err_contains "wrong size"
rm "$obj"
expect_exit 4 "a missing stored object fails" cairn load small.csv -o bad3.out
expect_err_contains "missing"
check "and writes nothing" [ ! -e bad3.out ]
cp "$T/orig.obj" "$obj"
check "the restored object loads again" bash -c "\"$CAIRN_BIN\" load small.csv -o - | grep -q marker-7f3a9c"

finish
