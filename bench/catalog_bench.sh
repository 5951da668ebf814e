#!/usr/bin/env bash
# The catalog in PostgreSQL against the catalog in SQLite, side by side in
# one run (issue 16's targets), on a throwaway PostgreSQL 15 cluster on
# loopback (pg_virtualenv) and directory storage:
#   1. a small save, one process per save, alternating between the
#      instances (target: PostgreSQL within 1.5x of SQLite); PostgreSQL both
#      as a team reaches it (TCP, a SCRAM password exchange per connection)
#      and over a Unix socket with peer authentication (a server on the same
#      machine), which shows what the connection itself costs;
#   2. 16 concurrent writers, each saving small files one process per save
#      (target: at least 100 saves/s in aggregate on PostgreSQL);
#   3. with ARTIFACTS artifacts in the catalog (bench/lineage_bench.cpp fills
#      the SQLite one, catalog migrate copies it to PostgreSQL): cairn ls of a
#      prefix, a small save, and cairn lineage of the largest project
#      (targets: ls < 50 ms, save < 1.2x its time on an empty catalog,
#      lineage < 100 ms; the lineage target is set on 100,000 artifacts).
#   bench/catalog_bench.sh [SAVES] [WRITER_SAVES] [ARTIFACTS]   (defaults 100 20 100000)
set -euo pipefail
CAIRN_PG_SERVER_OPTIONS="-c max_connections=60" source "$(dirname "$0")/../tests/pg/in_cluster.sh"
here=$(cd "$(dirname "$0")/.." && pwd)
build=${CAIRN_BUILD_DIR:-$here/build}
cairn=${CAIRN_BIN:-$build/cairn}
saves=${1:-100} writer_saves=${2:-20} artifacts=${3:-100000}
work=$(mktemp -d /tmp/cairn-catalog-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_CACHE_HOME=$work/home/.cache XDG_CONFIG_HOME=$work/home/.config XDG_STATE_HOME=$work/home/.local/state
mkdir -p "$HOME" "$work/files"
cd "$work"
url() { echo "postgresql://$PGUSER@127.0.0.1:$PGPORT/$1?sslmode=disable"; }
psql -h 127.0.0.1 -qc "CREATE DATABASE small" -c "CREATE DATABASE big" >/dev/null
"$cairn" init lite >/dev/null
"$cairn" init pg --catalog "$(url small)" --allow-plain-catalog >/dev/null
# Peer authentication maps this OS account to the role of the same name.
me=$(id -un)
psql -h 127.0.0.1 -qc "CREATE ROLE \"$me\" LOGIN" -c "CREATE DATABASE sock OWNER \"$me\"" >/dev/null
socket_dir=$(psql -h 127.0.0.1 -qAtc "SHOW unix_socket_directories" | cut -d, -f1)
"$cairn" init pgsock --catalog "postgresql://$me@/sock?host=$socket_dir&port=$PGPORT" --allow-plain-catalog >/dev/null 2>&1
now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
# median_ms CMD... : the median of 11 runs of CMD, in ms (stdout discarded).
median_ms() {
    local i t0 times=()
    for i in $(seq 11); do t0=$(now); "$@" >/dev/null; times+=($(ms "$t0" "$(now)")); done
    printf '%s\n' "${times[@]}" | sort -n | sed -n 6p
}

echo "== 1. small saves, one process each, alternating ($saves each)"
for i in $(seq "$saves"); do head -c 1024 /dev/urandom > "files/s$i"; done
lite_ns=0 pg_ns=0 sock_ns=0
for i in $(seq "$saves"); do
    t0=$(now); "$cairn" --instance lite save "files/s$i" --key "small/s$i" >/dev/null 2>&1; t1=$(now)
    "$cairn" --instance pg save "files/s$i" --key "small/s$i" >/dev/null 2>&1; t2=$(now)
    "$cairn" --instance pgsock save "files/s$i" --key "small/s$i" >/dev/null 2>&1; t3=$(now)
    lite_ns=$((lite_ns + t1 - t0)) pg_ns=$((pg_ns + t2 - t1)) sock_ns=$((sock_ns + t3 - t2))
done
for inst in lite pg pgsock; do
    n=$("$cairn" --instance "$inst" ls small/ --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    [ "$n" = "$saves" ] || { echo "only $n of $saves saves landed in $inst" >&2; exit 1; }
done
python3 - "$lite_ns" "$pg_ns" "$sock_ns" "$saves" <<'PY'
import sys
lite, pg, sock, n = (int(a) for a in sys.argv[1:])
print(f"  SQLite:                        {lite / n / 1e6:6.1f} ms per save")
print(f"  PostgreSQL, TCP + SCRAM:       {pg / n / 1e6:6.1f} ms per save   ratio {pg / lite:.2f}x (target <= 1.5x)")
print(f"  PostgreSQL, Unix socket, peer: {sock / n / 1e6:6.1f} ms per save   ratio {sock / lite:.2f}x")
PY

echo "== 2. 16 concurrent writers, $writer_saves saves each"
for w in $(seq 16); do for i in $(seq "$writer_saves"); do head -c 1024 /dev/urandom > "files/w$w-$i"; done; done
for inst in lite pg pgsock; do
    t0=$(now)
    for w in $(seq 16); do
        (for i in $(seq "$writer_saves"); do "$cairn" --instance "$inst" save "files/w$w-$i" --key "writers/w$w/$i" >/dev/null 2>&1; done) &
    done
    wait
    t1=$(now)
    n=$("$cairn" --instance "$inst" ls writers/ --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    [ "$n" = $((16 * writer_saves)) ] || { echo "only $n saves landed in $inst" >&2; exit 1; }
    label=$(case $inst in lite) echo SQLite: ;; pg) echo "PostgreSQL, TCP + SCRAM:" ;; *) echo "PostgreSQL, Unix socket, peer:" ;; esac)
    python3 -c "import sys; n, ns = int(sys.argv[1]), int(sys.argv[2]); print(f'  {sys.argv[3]:<30} {n / (ns / 1e9):6.1f} saves/s ({n} in {ns / 1e9:.1f} s)')" \
        "$n" $((t1 - t0)) "$label"
done
echo "  (target: PostgreSQL >= 100 saves/s)"

echo "== 3. $artifacts artifacts in the catalog"
"$cairn" init biglite >/dev/null
t0=$(now)
"$build/lineage_bench" biglite/.cairn/catalog.db --artifacts "$artifacts" --runs $((artifacts / 2)) --samples 5 > lineage.out
echo "  filled SQLite in $(ms "$t0" "$(now)") ms"
t0=$(now)
"$cairn" --instance biglite ls none/ >/dev/null 2>&1 # its first command seals the filled rows
echo "  sealed them (an artifact.seal event each) in $(ms "$t0" "$(now)") ms"
uid=$(sed -n 's/^worst-case uid: //p' lineage.out)
cp -a biglite bigpg
# The copy keeps its own store: config.yaml named the original's.
sed -i "s#^  url: $work/biglite/.cairn/storage\$#  url: $work/bigpg/.cairn/storage#" bigpg/.cairn/config.yaml
grep -q "^  url: $work/bigpg/.cairn/storage$" bigpg/.cairn/config.yaml || { echo "bigpg still names biglite's store" >&2; exit 1; }
t0=$(now)
"$cairn" --instance bigpg catalog migrate --to "$(url big)" --allow-plain-catalog >/dev/null
echo "  catalog migrate to PostgreSQL: $(ms "$t0" "$(now)") ms"
head -c 1024 /dev/urandom > files/late
for inst in biglite bigpg; do
    name=$([ "$inst" = bigpg ] && echo PostgreSQL || echo SQLite)
    rows=$("$cairn" --instance "$inst" ls p7/ | wc -l)
    echo "  $name: ls p7/ ($rows rows) $(median_ms "$cairn" --instance "$inst" ls p7/) ms;" \
        "lineage of the largest project $(median_ms "$cairn" --instance "$inst" lineage "$uid" --json) ms"
done
for inst in biglite bigpg lite pg; do
    t0=$(now)
    for i in $(seq 20); do "$cairn" --instance "$inst" save files/late --key "late/$inst/$i" >/dev/null 2>&1; done
    echo "  $inst: a small save $(( ($(now) - t0) / 20000000 )) ms (20 saves)"
done
echo "  (targets: ls < 50 ms, save < 1.2x the save on the empty catalog (lite, pg), lineage < 100 ms)"
