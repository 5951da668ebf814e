#!/usr/bin/env bash
# The catalog's SQL layer (core/catalog/db) on a real PostgreSQL 15 server:
# the conformance cases of core/catalog/db/db_test.cpp, in a throwaway
# cluster (unit_in_cluster.sh).
exec bash "$(dirname "$0")/unit_in_cluster.sh" -ts="core::catalog::db*"
