#!/usr/bin/env bash
# Numbers from users are range-checked: a value that would wrap around is
# refused with a clear error and the documented exit code, never shortened
# into something that deletes early.
source "$(dirname "$0")/lib.sh"

expect_exit 0 "init" cairn init proj
cd proj
echo keep > keep.txt
expect_exit 0 "save" cairn save keep.txt --key tmp/keep.txt
cp .cairn/config.yaml config.orig

# 213503982335d in ms wraps int64 to about 9.5 hours.
expect_exit 2 "a grace that would wrap is refused" cairn purge request tmp/keep.txt --grace 213503982335d
expect_err_contains "out of range"
expect_exit 0 "purge status" cairn --json purge status
check_not "no request was made" grep -q keep "$T/out"

# 18446744073709552 s in ms wraps uint64 to 0: "older than nothing", delete at once.
printf 'retention:\n  - match: "tmp/**"\n    max_age: 18446744073709552s\n' >> .cairn/config.yaml
expect_exit 7 "a retention max_age that would wrap is a config error" cairn purge run
expect_err_contains "config.yaml:"
expect_err_contains "out of range"
cp config.orig .cairn/config.yaml
printf 'cache:\n  max_size: 16777216TiB\n' >> .cairn/config.yaml
expect_exit 7 "a cache.max_size that would wrap is a config error" cairn ls
expect_err_contains "out of range"
cp config.orig .cairn/config.yaml

# Hostile files (issue 15): each is refused at once with its documented code.
# `timeout` only keeps a regression from hanging the suite: a FIFO read
# blocks for ever, /dev/zero ran 12 s into bad_alloc, a hostile key file
# spent 39 s in scrypt; each would exit 124 here instead of its code.
cairn_bounded() { timeout 60 "$CAIRN_BIN" "$@"; }
mv .cairn/config.yaml config.real
ln -s /dev/zero .cairn/config.yaml
expect_exit 7 "config.yaml -> /dev/zero is a config error" cairn_bounded ls
expect_err_contains "it is a device, not a regular file"
rm .cairn/config.yaml && mkfifo .cairn/config.yaml
expect_exit 7 "config.yaml as a FIFO is a config error, not a hang" cairn_bounded ls
expect_err_contains "it is a FIFO"
rm .cairn/config.yaml && head -c 2000000 /dev/zero | tr '\0' '#' > .cairn/config.yaml
expect_exit 7 "a config.yaml over 1 MiB is refused" cairn_bounded ls
expect_err_contains "larger than 1048576 bytes"
# The instance id names the default key file and the cache directory.
for id in ../.. / ../../../tmp/x 0123456789ABCDEF; do
    sed "s|^instance_id: .*|instance_id: \"$id\"|" config.real > .cairn/config.yaml
    expect_exit 7 "instance_id '$id' is refused" cairn_bounded load tmp/keep.txt -o via-id.txt
    expect_err_contains "'instance_id' must be"
done
check "nothing was written through a hostile instance id" [ ! -e via-id.txt ]
mv config.real .cairn/config.yaml

# A passphrase file that is a device or a FIFO, and a key file whose scrypt
# parameters would take 4 GiB (log2 N 20, r 32) or 2^24 work (p 16).
echo 'correct horse' > pass && chmod 600 pass
CAIRN_PASSPHRASE_FILE=$PWD/pass expect_exit 0 "export a passphrase-protected key" \
    cairn key export sealed.key --passphrase
check "new key files use N = 2^17" grep -qx 'scrypt-log2-n: 17' sealed.key
mkfifo pass.fifo && chmod 600 pass.fifo
CAIRN_PASSPHRASE_FILE=$PWD/pass.fifo expect_exit 2 "a FIFO passphrase file is refused, not a hang" \
    cairn_bounded key export sealed2.key --passphrase
expect_err_contains "it is a FIFO"
check "no key file was left" [ ! -e sealed2.key ]
for edit in 's/^scrypt-log2-n: .*/scrypt-log2-n: 20/; s/^scrypt-r: .*/scrypt-r: 32/' 's/^scrypt-p: .*/scrypt-p: 16/'; do
    sed "$edit" sealed.key > hostile.key && chmod 600 hostile.key
    CAIRN_KEY_FILE=$PWD/hostile.key CAIRN_PASSPHRASE_FILE=$PWD/pass expect_exit 4 \
        "a key file with hostile scrypt parameters is refused ($edit)" cairn_bounded load tmp/keep.txt -o via-key.txt
    expect_err_contains "unsupported scrypt parameters"
done
check "nothing was loaded with a hostile key file" [ ! -e via-key.txt ]
CAIRN_KEY_FILE=$PWD/sealed.key CAIRN_PASSPHRASE_FILE=$PWD/pass expect_exit 0 "the sealed key file opens" \
    cairn load tmp/keep.txt -o via-key.txt
check "with the content" same_file keep.txt via-key.txt

expect_exit 0 "the artifact is untouched" cairn load tmp/keep.txt -o back.txt
check "with its content" same_file keep.txt back.txt
expect_exit 0 "ls" cairn --json ls
check "still listed" grep -q tmp/keep.txt "$T/out"

finish
