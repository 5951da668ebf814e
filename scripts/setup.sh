#!/usr/bin/env bash
# Installs what is missing (Debian 12, as root) and builds cairn.
# Usage: scripts/setup.sh [build-dir] [extra cmake args...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}; shift || true

packages=(g++ cmake ninja-build pkg-config libcli11-dev libsqlitecpp-dev libsqlite3-dev libyaml-cpp-dev
          doctest-dev nlohmann-json3-dev libutf8proc-dev libcurl4-openssl-dev libssl-dev curl python3 python3-cryptography graphviz mandoc
          hyperfine bash-completion zsh fish time awscli man-db
          libpq-dev postgresql-15 clang libclang-rt-14-dev llvm-14)
# clang, libclang-rt-14-dev (libFuzzer and clang's sanitizer runtimes) and
# llvm-14 (llvm-symbolizer, for readable reports) are for the fuzz targets
# only (tests/fuzz/): cairn itself is built by g++. man-db: the package test
# looks the installed pages up with man -w. libpq-dev: libpq's headers (the
# library is loaded only for a PostgreSQL catalog); postgresql-15 (with
# postgresql-common's pg_virtualenv): the tests' throwaway servers.
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Warnings are errors in the project's own builds (a plain cmake build, as a
# packager runs it, only warns). Later arguments override earlier ones.
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_WERROR=ON "$@" >/dev/null
ninja -C "$build" >&2
