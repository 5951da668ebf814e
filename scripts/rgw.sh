#!/bin/bash
# Runs a single-node Ceph radosgw on loopback for cairn's S3 tests: one mon,
# one memstore OSD (data lives in RAM), one radosgw; no systemd, no mgr.
#
#   scripts/rgw.sh start   start the daemons (no-op when already running)
#   scripts/rgw.sh env     print the environment file (source it: . <(scripts/rgw.sh env))
#   scripts/rgw.sh stop    stop the daemons by pid and remove the state
#   scripts/rgw.sh status  exit 0 when the gateway answers
#
# Settings (environment):
#   CAIRN_RGW_DIR   state directory            (default /tmp/cairn-rgw)
#   CAIRN_RGW_PORT  radosgw port on 127.0.0.1  (default 7480)
#   CAIRN_RGW_MON_PORT  monitor port           (default 3300 + port - 7480)
# Data lives in RAM (memstore, capped at 8 GiB); overwritten data is
# garbage-collected after ~10 s.
#
# The test user's keys are fixed and public (they protect nothing but a
# throw-away loopback gateway): CAIRNTESTKEY / CAIRNTESTSECRET.
set -euo pipefail

dir=${CAIRN_RGW_DIR:-/tmp/cairn-rgw}
port=${CAIRN_RGW_PORT:-7480}
mon_port=${CAIRN_RGW_MON_PORT:-$((3300 + port - 7480))}
access_key=CAIRNTESTKEY
secret_key=CAIRNTESTSECRET
conf=$dir/ceph.conf
daemons=(client.rgw.cairn osd.0 mon.a)

log() { echo "rgw.sh: $*" >&2; }

answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; }

install_packages() {
    local missing=()
    for cmd in radosgw:radosgw ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw-admin:radosgw \
               monmaptool:ceph-mon ceph:ceph-common curl:curl; do
        command -v "${cmd%%:*}" >/dev/null || missing+=("${cmd#*:}")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    [ "$(id -u)" -eq 0 ] || { log "need root to install packages"; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd curl >/dev/null
}

write_conf() {
    local fsid=$1
    cat > "$conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
public network = 127.0.0.1/32
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
ms client mode = crc secure
run dir = $dir/run
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 8589934592
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
osd crush chooseleaf type = 0
[client.rgw.cairn]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $dir/rgw
# Reclaim overwritten and deleted data quickly: memstore lives in RAM.
rgw gc obj min wait = 10
rgw gc processor period = 10
CONF
}

write_env() {
    printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' > "$dir/aws-config"
    cat > "$dir/env" <<ENV
export S3_ENDPOINT=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=$access_key
export AWS_SECRET_ACCESS_KEY=$secret_key
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$dir/aws-config
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_PAGER=
ENV
}

stop() {
    for name in "${daemons[@]}"; do
        local pid
        pid=$(cat "$dir/run/$name.pid" 2>/dev/null) || continue
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    # Only remove a directory this script created.
    if [ -f "$dir/ceph.conf" ]; then rm -rf "$dir"; fi
}

start() {
    if [ -f "$dir/env" ] && answers; then return 0; fi
    if [ -d "$dir" ]; then stop; fi   # a stale or half-started state
    install_packages
    mkdir -p "$dir"/{run,log,mon,osd/ceph-0,rgw}
    local fsid osd_uuid
    fsid=$(cat /proc/sys/kernel/random/uuid)
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    write_conf "$fsid"
    local c=(-c "$conf")
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
    ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap"
    ceph-mon "${c[@]}" -i a
    ceph "${c[@]}" osd new "$osd_uuid" >/dev/null
    ceph-osd "${c[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
    ceph-osd "${c[@]}" -i 0 2>/dev/null
    radosgw "${c[@]}" -n client.rgw.cairn
    for _ in $(seq 240); do answers && break; sleep 0.5; done
    answers || { log "radosgw did not answer on port $port; see $dir/log"; exit 1; }
    radosgw-admin "${c[@]}" user create --uid=cairn-test --display-name=cairn-test \
        --access-key="$access_key" --secret-key="$secret_key" >/dev/null
    write_env
    log "radosgw answers on http://127.0.0.1:$port (state in $dir)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    env) [ -f "$dir/env" ] || { log "not running (no $dir/env); run: $0 start"; exit 1; }; cat "$dir/env" ;;
    status) [ -f "$dir/env" ] && answers ;;
    *) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac
