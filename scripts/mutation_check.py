#!/usr/bin/env python3
"""Mutation check for the test suite: does each test notice when the
behaviour it guards is broken?

Reads tests/mutations.txt, a list of blocks:

    ## test: cli_test_purge            (a ctest name, matched exactly)
    ## file: core/purge/execute.cpp    (relative to the source tree)
    ## breaks: purge keeps cache copies
    <<<
    text that must occur exactly once in the file
    ===
    its replacement
    >>>

For each block it applies the change, rebuilds, runs that one test with
ctest, expects it to FAIL, and restores the file (also when interrupted).
A mutation that the test survives is reported and makes the exit code 1.

Usage: scripts/mutation_check.py BUILD_DIR [TEST_NAME_FILTER]
The build dir must be configured from this source tree; tests labelled s3
need the S3_ENDPOINT/AWS_* environment of a running gateway (scripts/rgw.sh).
"""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse(path):
    text = open(path, encoding="utf-8").read()
    blocks = re.findall(r"((?:^## [^\n]*\n)+)<<<\n(.*?)\n===\n(.*?)\n?>>>", text, re.S | re.M)
    out = []
    for head, old, new in blocks:
        meta = dict(re.findall(r"^## (\w+): (.*)$", head, re.M))
        out.append({"test": meta["test"], "file": meta["file"], "breaks": meta.get("breaks", ""),
                    "old": old, "new": new})
    return out


def run(cmd, log):
    with open(log, "ab") as f:
        return subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT)


def check_one(m, build, log):
    path = os.path.join(ROOT, m["file"])
    original = open(path, encoding="utf-8").read()
    if original.count(m["old"]) != 1:
        return "STALE (the text to replace occurs %d times)" % original.count(m["old"])
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(original.replace(m["old"], m["new"]))
        if run(["ninja", "-C", build, "cairn", "cairn_tests"], log) != 0:
            return "BUILD FAILED"
        rc = run(["ctest", "--test-dir", build, "--no-tests=error", "--output-on-failure",
                  "-R", "^%s$" % re.escape(m["test"])], log)
        return "caught" if rc != 0 else "SURVIVED"
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    only = sys.argv[2] if len(sys.argv) > 2 else None
    mutations = [m for m in parse(os.path.join(ROOT, "tests", "mutations.txt"))
                 if not only or re.search(only, m["test"])]
    if not mutations:
        print("mutation_check: no mutation matches", file=sys.stderr)
        return 2
    log = os.path.join(build, "mutation_check.log")
    open(log, "w").close()
    bad = 0
    for i, m in enumerate(mutations, 1):
        t0 = time.time()
        result = check_one(m, build, log)
        bad += result != "caught"
        print("%2d %-22s %-34s %-8s %5.0fs  %s" % (i, m["test"], m["file"], result,
                                                 time.time() - t0, m["breaks"]), flush=True)
    # Leave the build matching the unmutated sources.
    run(["ninja", "-C", build, "cairn", "cairn_tests"], log)
    print("mutation_check: %d mutations, %d caught, %d not (log: %s)" % (len(mutations), len(mutations) - bad, bad, log))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
