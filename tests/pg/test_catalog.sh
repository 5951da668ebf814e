#!/usr/bin/env bash
# One behaviour, two catalogs: the unit tests of everything that keeps its
# state in the catalog (audit trail, purge, lineage, artifacts) run again
# with their catalogs in PostgreSQL, in a throwaway cluster
# (unit_in_cluster.sh). Each fixture gets a schema of its own (core/catalog/testing.hpp).
#
# The purge tests run on both: on PostgreSQL each wrapped key lives in a key
# object in storage (core/artifact/key_objects.hpp), which purge destroys
# and verifies, so a purge certifies there too.
exec bash "$(dirname "$0")/unit_in_cluster.sh" \
    -ts="core::audit*,core::purge*,core::lineage*,core::artifact*,core::catalog::db*"
