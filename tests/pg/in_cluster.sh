# Sourced first by a script that needs a PostgreSQL 15 server: re-runs the
# script inside a private throwaway cluster (Debian's pg_virtualenv -t: a
# temporary directory, a free loopback port, dropped at the end), which sets
# PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE for it. Extra server
# settings: CAIRN_PG_SERVER_OPTIONS (e.g. "-c max_connections=60").
if [ -z "${CAIRN_IN_PG_CLUSTER:-}" ]; then
    cairn_pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    exec env CAIRN_IN_PG_CLUSTER=1 pg_virtualenv -t -c "-p $cairn_pg_port ${CAIRN_PG_SERVER_OPTIONS:-}" bash "$0" "$@"
fi
