#!/usr/bin/env bash
# The main job on an embedded default: a local instance in a temporary
# directory goes through init, save, load, lineage, audit and purge.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh" "$here/build"
cairn=$here/build/cairn

demo=$(mktemp -d /tmp/cairn-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
export HOME=$demo/home XDG_CONFIG_HOME=$demo/home/.config XDG_CACHE_HOME=$demo/home/.cache
mkdir -p "$HOME" && cd "$demo"
step() { printf '\n$ cairn %s\n' "$*"; "$cairn" "$@"; }

step init project
cd project
seq 1 100000 | awk '{print $1","$1*$1}' > raw.csv
step save raw.csv --key data/raw.csv --description "squares"
has() { "$cairn" "$1" --help >/dev/null 2>&1; }
if has run; then
    run=$("$cairn" run start --transform clean.sh | head -1)
    export CAIRN_RUN=$run
fi
step load data/raw.csv -o loaded.csv
cmp raw.csv loaded.csv && echo "(loaded copy is byte-identical)"
head -1000 loaded.csv > clean.csv
step save clean.csv --key data/clean.csv
if has run; then "$cairn" run finish >/dev/null; unset CAIRN_RUN; fi
step ls
if has lineage; then step lineage data/clean.csv; fi
if has audit; then step audit; step audit verify; fi
if has purge; then
    step purge request data/raw.csv --reason "demo: retention" --grace 0
    step purge run
    step purge status
fi
echo
echo "demo finished: all steps succeeded"
