#!/usr/bin/env bash
# One behaviour, two catalogs: the unit tests of everything that keeps its
# state in the catalog (audit trail, purge, lineage, artifacts) run again
# with their catalogs in PostgreSQL: a private throwaway PostgreSQL 15
# cluster from Debian's pg_virtualenv, on a free loopback port, dropped when
# they end. Each fixture gets a schema of its own (core/catalog/testing.hpp).
#
# Left out: the purge tests that expect a certificate. On PostgreSQL a purge
# removes objects and shreds keys but stays incomplete at the scrub (dead
# tuples, WAL and backups keep rows cairn cannot reach) until wrapped keys
# live outside the database; the test "execute: certifies on SQLite; on
# PostgreSQL stays incomplete ..." checks exactly that, on both catalogs.
set -euo pipefail
: "${CAIRN_TESTS_BIN:?CAIRN_TESTS_BIN must name the cairn_tests binary}"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export CAIRN_TESTS_BIN
# shellcheck disable=SC2016 # expanded inside the cluster's environment
exec pg_virtualenv -t -c "-p $port" sh -c '
    export CAIRN_TEST_PG="host=127.0.0.1 port=$PGPORT user=$PGUSER dbname=$PGDATABASE" CAIRN_PG_REQUIRED=1
    "$CAIRN_TESTS_BIN" -ts="core::audit*,core::purge*,core::lineage*,core::artifact*,core::catalog::db" \
        -tce="execute: destroys*,execute: a store that keeps*,execute: failed removal*,execute: many targets*,execute: missed deadlines*,execute: resumes*,plan + apply_retention*"'
