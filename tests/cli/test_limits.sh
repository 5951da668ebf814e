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

expect_exit 0 "the artifact is untouched" cairn load tmp/keep.txt -o back.txt
check "with its content" same_file keep.txt back.txt
expect_exit 0 "ls" cairn --json ls
check "still listed" grep -q tmp/keep.txt "$T/out"

finish
