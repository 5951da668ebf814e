#!/usr/bin/env bash
# A save never stores a torn file (one that changed while it was read) and
# never packs cairn's own instance, caches or key files into an artifact.
source "$(dirname "$0")/lib.sh"

expect_exit 0 "init" cairn init proj
cd proj
cache_objects() { echo "$XDG_CACHE_HOME"/cairn/*/objects; }
# Every file under the local store and the cache's object folder.
stored_files() { find .cairn/storage "$(cache_objects)" -type f | sort; }
echo first > first.txt
expect_exit 0 "a first save" cairn save first.txt --key first
files_before=$(stored_files)

# --- Torn files --------------------------------------------------------
# The save is stopped once its ciphertext temp file has grown (it is reading
# the source), the source is changed, and the save continues: it must notice.
truncate -s 1G big.bin
# torn_save DESCRIPTION CHANGE-COMMAND
torn_save() {
    local d=$1 change=$2
    "$CAIRN_BIN" save big.bin --key big.bin >"$T/torn.out" 2>"$T/torn.err" & local pid=$!
    bg_started "$pid"
    temp_has_data() { [ -n "$(find "$(cache_objects)" -maxdepth 1 -name '.*' -size +8M 2>/dev/null)" ]; }
    wait_until "save of big.bin writes ciphertext ($d)" 120 temp_has_data
    kill -STOP "$pid"
    local temp written
    temp=$(find "$(cache_objects)" -maxdepth 1 -name '.*' -size +8M | head -1)
    written=$(stat -c %s "$temp")
    # The kill landed mid-read: less than the whole file is encrypted.
    check "stopped mid-read ($d: $written bytes of ciphertext)" [ "$written" -lt $(((1 << 30) - (8 << 20))) ]
    eval "$change"
    kill -CONT "$pid"
    local torn_rc
    wait_exit torn_rc 300 "$pid"
    check "$d: exit 8 (got $torn_rc; $(head -c 300 "$T/torn.err"))" [ "$torn_rc" = 8 ]
    check "$d: the error names the file" grep -q "changed while saving: big.bin" "$T/torn.err"
    expect_exit 0 "ls after $d" cairn ls --json
    check_no_match "$d: no artifact" big.bin "$T/out"
    check "$d: no object and no temp file left" [ "$(stored_files)" = "$files_before" ]
    truncate -s 0 big.bin; truncate -s 1G big.bin
}
torn_save "truncated while read" 'truncate -s 1000 big.bin'
torn_save "rewritten in place, same size" 'printf x | dd of=big.bin bs=1 seek=100 conv=notrunc status=none'
torn_save "appended to while read" 'echo tail >> big.bin'
torn_save "replaced by another file" 'truncate -s 1G big2.bin && mv big2.bin big.bin'
rm -f big.bin

# Folders: a member changed while read is refused the same way.
mkdir tree && truncate -s 1G tree/a.bin && echo b > tree/b.txt
"$CAIRN_BIN" save tree --key tree >"$T/torn.out" 2>"$T/torn.err" & pid=$!
bg_started "$pid"
temp_has_data() { [ -n "$(find "$(cache_objects)" -maxdepth 1 -name '.*' -size +8M 2>/dev/null)" ]; }
wait_until "folder save writes ciphertext" 120 temp_has_data
kill -STOP "$pid"
printf x | dd of=tree/a.bin bs=1 seek=5 conv=notrunc status=none
kill -CONT "$pid"
wait_exit torn_rc 300 "$pid"
check "folder member rewritten while read: exit 8 (got $torn_rc)" [ "$torn_rc" = 8 ]
check "folder: no object and no temp file left" [ "$(stored_files)" = "$files_before" ]
rm -rf tree

# A stable file still saves, and loads back.
head -c 100000 /dev/urandom > stable.bin
expect_exit 0 "a stable file saves" cairn save stable.bin
expect_exit 0 "and loads" cairn load stable.bin -o stable.out
check "with the same bytes" same_file stable.bin stable.out
rm -f stable.out

# --- cairn's own files are never data ---------------------------------
expect_exit 2 "saving the instance is refused" cairn save .cairn --key inst
expect_err_contains "refusing to save"
expect_exit 2 "saving a folder inside it is refused" cairn save .cairn/storage --key st
expect_exit 2 "saving the catalog file is refused" cairn save .cairn/catalog.db --key db
expect_exit 2 "saving the cache is refused" cairn save "$XDG_CACHE_HOME/cairn" --key cache
key_file=$(find "$XDG_CONFIG_HOME/cairn" -name '*.key' | head -1)
check "the key file exists" [ -f "$key_file" ]
expect_exit 2 "saving the key file is refused" cairn save "$key_file" --key k
expect_exit 2 "a path spelled through .. is refused too" cairn save "../proj/.cairn/" --key inst2
ln -s .cairn link-to-instance
expect_exit 2 "and through a symbolic link" cairn save link-to-instance --key inst3
# In a folder, a link is refused by name (cairn saves regular files only).
mkdir linked && ln -s ../.cairn linked/inst
expect_exit 2 "a folder holding a link to the instance is refused" cairn save linked
expect_err_contains "symbolic link: inst"
rm -rf link-to-instance linked

# save . in the project root leaves .cairn out, and says so.
mkdir -p sub && echo payload > sub/p.txt
expect_exit 0 "save . in the project root" cairn --json save . --key project
check "the instance is listed as skipped" python3 -c "import json,sys; assert '.cairn' in json.load(open(sys.argv[1]))['skipped']" "$T/out"
expect_exit 0 "text output names what was skipped" cairn save . --key project
expect_err_contains "skipped .cairn"
expect_exit 0 "load the project artifact" cairn load project -o restored
check "the project's files are there" same_file sub/p.txt restored/sub/p.txt
check "the instance is not" [ ! -e restored/.cairn ]
rm -rf restored

# Saving HOME leaves out the key folder and the cache; a key file named by
# CAIRN_KEY_FILE inside the saved folder is left out as well.
cp "$key_file" "$HOME/moved.key" && chmod 600 "$HOME/moved.key"
echo note > "$HOME/note.txt"
CAIRN_KEY_FILE=$HOME/moved.key expect_exit 0 "save HOME" cairn --json save "$HOME" --key home
for p in .config/cairn .cache/cairn moved.key; do
    check "HOME save skips $p" python3 -c "import json,sys; assert sys.argv[2] in json.load(open(sys.argv[1]))['skipped']" "$T/out" "$p"
done
expect_exit 0 "load the HOME artifact" cairn load home -o home-restored
check "HOME's own files are there" same_file "$HOME/note.txt" home-restored/note.txt
check "no key file in it" [ -z "$(find home-restored -name '*.key')" ]
check "no cache in it" [ ! -e home-restored/.cache/cairn ]

finish
