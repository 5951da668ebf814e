#!/usr/bin/env bash
# Runs cairn_tests with ARGS (doctest filters) against a private throwaway
# PostgreSQL 15 cluster that Debian's pg_virtualenv creates in a temporary
# directory, on a free loopback port, and drops when they end. CAIRN_TEST_PG
# tells the tests where it is; CAIRN_PG_REQUIRED=1 makes its absence a failure.
#   tests/pg/unit_in_cluster.sh ARGS...
set -euo pipefail
: "${CAIRN_TESTS_BIN:?CAIRN_TESTS_BIN must name the cairn_tests binary}"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export CAIRN_TESTS_BIN
# shellcheck disable=SC2016 # expanded inside the cluster's environment
exec pg_virtualenv -t -c "-p $port" sh -c '
    export CAIRN_TEST_PG="host=127.0.0.1 port=$PGPORT user=$PGUSER dbname=$PGDATABASE" CAIRN_PG_REQUIRED=1
    exec "$CAIRN_TESTS_BIN" "$@"' sh "$@"
