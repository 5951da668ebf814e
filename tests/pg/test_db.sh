#!/usr/bin/env bash
# The catalog's SQL layer (core/catalog/db) on a real PostgreSQL 15 server:
# the conformance cases of core/catalog/db/db_test.cpp run against a private
# throwaway cluster that Debian's pg_virtualenv creates in a temporary
# directory, on a free loopback port, and drops when they end.
set -euo pipefail
: "${CAIRN_TESTS_BIN:?CAIRN_TESTS_BIN must name the cairn_tests binary}"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export CAIRN_TESTS_BIN
# shellcheck disable=SC2016 # expanded inside the cluster's environment
exec pg_virtualenv -t -c "-p $port" sh -c '
    export CAIRN_TEST_PG="host=127.0.0.1 port=$PGPORT user=$PGUSER dbname=$PGDATABASE" CAIRN_PG_REQUIRED=1
    "$CAIRN_TESTS_BIN" -ts="core::catalog::db"'
