#!/usr/bin/env bash
# One behaviour, two catalogs: the unit tests of everything that keeps its
# state in the catalog (audit trail, purge, lineage, artifacts) run again
# with their catalogs in PostgreSQL, in a throwaway cluster
# (unit_in_cluster.sh). Each fixture gets a schema of its own (core/catalog/testing.hpp).
#
# Left out: the purge tests that expect a certificate. On PostgreSQL a purge
# removes objects and shreds keys but stays incomplete at the scrub (dead
# tuples, WAL and backups keep rows cairn cannot reach) until wrapped keys
# live outside the database; the test "execute: certifies on SQLite; on
# PostgreSQL stays incomplete ..." checks exactly that, on both catalogs.
exec bash "$(dirname "$0")/unit_in_cluster.sh" \
    -ts="core::audit*,core::purge*,core::lineage*,core::artifact*,core::catalog::db*" \
    -tce="execute: destroys*,execute: a store that keeps*,execute: failed removal*,execute: many targets*,execute: missed deadlines*,execute: resumes*,plan + apply_retention*"
