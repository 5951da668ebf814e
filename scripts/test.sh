#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite: unit tests, CLI tests, and
# S3 integration tests against a loopback Ceph radosgw of this run's own
# (started and stopped here); then the unit and CLI tests again under
# ASan+UBSan; then the fuzz targets for a bounded time (tests/fuzz/run.sh).
# Concurrent runs each have their own gateway. CAIRN_SKIP_SANITIZE=1,
# CAIRN_SKIP_FUZZ=1 and CAIRN_SKIP_RELEASE=1 leave out those stages.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rgw=$here/scripts/rgw.sh

# Per-run scratch: the sanitizers' reports.
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/cairn-test-run.XXXXXX")
reports=$run_dir/sanitizer-reports
mkdir "$reports"
rgw_dir=

# On every path: stop this run's gateway (never another's: rgw.sh stops
# only the state directory it is given), and keep the scratch directory
# only when it holds sanitizer reports.
cleanup() {
    if [ -n "$rgw_dir" ]; then bash "$rgw" stop "$rgw_dir" || true; fi
    if [ -z "$(ls -A "$reports")" ]; then rm -rf "$run_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_gateway : this run's radosgw; its environment (S3_ENDPOINT, AWS_*)
# goes to every test. A start or env that fails ends the run: without a
# gateway the S3 tests would prove nothing.
start_gateway() {
    local env
    rgw_dir=$(bash "$rgw" start)
    env=$(bash "$rgw" env "$rgw_dir")
    set -a
    eval "$env"
    set +a
    [ -n "${S3_ENDPOINT:-}" ] || { echo "test.sh: rgw.sh env gave no S3_ENDPOINT" >&2; exit 1; }
}

# run_ctest BUILD_DIR ARGS... : ctest fails when its filters select no test.
run_ctest() {
    local dir=$1
    shift
    (cd "$dir" && ctest --output-on-failure --no-tests=error -j2 "$@")
}

# show_reports : prints this run's sanitizer reports; true if there are any.
# Reports go to files (log_path), not to the tests' stderr, where many tests
# discard them: a sanitizer failure would show only as "exit 1". A bug on a
# common path reports from every process: the first ten are printed in full,
# the rest by name.
show_reports() {
    local files=("$reports"/*) f n=0
    [ -e "${files[0]}" ] || return 1
    echo "test.sh: ${#files[@]} sanitizer report(s)" >&2
    for f in "${files[@]}"; do
        n=$((n + 1))
        if [ "$n" -le 10 ]; then
            echo "=== sanitizer report $f" >&2
            cat "$f" >&2
        else
            echo "=== (not shown) $f" >&2
        fi
    done
}

"$here/scripts/setup.sh" "$here/build"
start_gateway

status=0
run_ctest "$here/build" || status=1

if [ "${CAIRN_SKIP_SANITIZE:-0}" != 1 ]; then
    # Debug: -O0 -g with assertions on. Instrumented -O2 code generation took
    # about 25 of CI's minutes; at -O0 the build takes a third of that, the
    # tests run about 15% longer, and no access is optimised away unchecked.
    "$here/scripts/setup.sh" "$here/build-asan" -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON
    # log_exe_name: the report's file name says which program (cairn or
    # cairn_tests) it came from; the pid follows.
    ASAN_OPTIONS=detect_leaks=1:log_path=$reports/asan:log_exe_name=1 \
    UBSAN_OPTIONS=print_stacktrace=1:log_path=$reports/ubsan:log_exe_name=1 \
        run_ctest "$here/build-asan" -LE s3 -E 'bench' || status=1
fi

# Fuzzing (tests/fuzz/): libFuzzer targets built by clang under ASan+UBSan
# from the core files they reach, each run for a bounded time after
# replaying every input that once crashed it. A finding fails the run; its
# report is printed and the input kept for tests/fuzz/regressions/.
if [ "${CAIRN_SKIP_FUZZ:-0}" != 1 ]; then
    fuzz_start=$SECONDS
    if cmake -S "$here" -B "$here/build-fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCAIRN_FUZZ=ON \
            >"$run_dir/fuzz-build.log" 2>&1 &&
        ninja -C "$here/build-fuzz" >>"$run_dir/fuzz-build.log" 2>&1; then
        echo "test.sh: fuzz targets built in $((SECONDS - fuzz_start)) s"
        bash "$here/tests/fuzz/run.sh" "$here/build-fuzz" "${CAIRN_FUZZ_SECONDS:-20}" || status=1
    else
        tail -40 "$run_dir/fuzz-build.log" >&2
        echo "test.sh: the fuzz build failed" >&2
        status=1
    fi
    echo "test.sh: fuzz stage took $((SECONDS - fuzz_start)) s"
fi

# A packager's build: plain cmake, Release (-O3), no -Werror, from this
# checkout. It must build, and the binary must run.
if [ "${CAIRN_SKIP_RELEASE:-0}" != 1 ]; then
    if cmake -S "$here" -B "$here/build-release" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
        cmake --build "$here/build-release" --target cairn -j2 >"$run_dir/release-build.log" 2>&1 &&
        "$here/build-release/cairn" --version; then
        echo "test.sh: the Release build (plain cmake, no -Werror) builds and runs"
    else
        tail -40 "$run_dir/release-build.log" >&2
        echo "test.sh: the Release build failed" >&2
        status=1
    fi
fi

# A report is a failure even when the test that caused it passed (e.g. it
# expected a non-zero exit).
if show_reports; then
    echo "test.sh: sanitizer reports above (kept in $reports)" >&2
    status=1
fi
exit $status
