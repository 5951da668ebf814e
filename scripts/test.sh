#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite: unit tests, CLI tests, and
# S3 integration tests against a loopback Ceph radosgw (started and stopped
# here); then the unit and CLI tests again under ASan+UBSan.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh" "$here/build"

status=0
if [ -x "$here/scripts/rgw.sh" ] || [ -f "$here/scripts/rgw.sh" ]; then
    bash "$here/scripts/rgw.sh" start
    trap 'bash "$here/scripts/rgw.sh" stop' EXIT
    set -a; eval "$(bash "$here/scripts/rgw.sh" env)"; set +a
fi
(cd "$here/build" && ctest --output-on-failure -j2) || status=1

if [ "${CAIRN_SKIP_SANITIZE:-0}" != 1 ]; then
    "$here/scripts/setup.sh" "$here/build-asan" -DCAIRN_SANITIZE=ON
    (cd "$here/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --output-on-failure -j2 -LE s3 -E 'bench') || status=1
fi
exit $status
