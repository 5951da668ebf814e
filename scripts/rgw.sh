#!/bin/bash
# Runs a single-node Ceph radosgw on loopback for cairn's S3 tests: one mon,
# one memstore OSD (data lives in RAM), one radosgw; no systemd, no mgr.
#
# Every `start` makes a new, private gateway: its own state directory
# (mktemp -d) and free random loopback ports. It never reuses a gateway it
# did not start, so concurrent test runs neither share nor stop each other's.
#
#   dir=$(scripts/rgw.sh start)   start a gateway; prints its state directory
#                                 (the only line on stdout; progress on stderr)
#   scripts/rgw.sh env [DIR]      print its environment (eval it, or source DIR/env)
#   scripts/rgw.sh status [DIR]   exit 0 when it answers
#   scripts/rgw.sh stop [DIR]     stop its daemons and remove DIR
#
# DIR defaults to $CAIRN_RGW_DIR; there is no other default, so a command
# can only ever reach the gateway it was pointed at. A start that fails
# stops whatever it started, prints the daemons' logs and exits non-zero.
#
# Data lives in RAM (memstore, capped at 8 GiB); overwritten data is
# garbage-collected after ~10 s.
#
# The test user's keys are fixed and public (they protect nothing but a
# throw-away loopback gateway): CAIRNTESTKEY / CAIRNTESTSECRET.
set -euo pipefail

access_key=CAIRNTESTKEY
secret_key=CAIRNTESTSECRET
daemons=(client.rgw.cairn osd.0 mon.a)
# Written into every state directory this script makes: stop removes only
# directories that carry it.
marker=.cairn-rgw
dir=
port=

log() { echo "rgw.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# --- a gateway's state directory --------------------------------------------

# use_dir [DIR] : select the gateway of DIR (or $CAIRN_RGW_DIR) for env,
# status and stop; refuses anything this script did not make.
use_dir() {
    dir=${1:-${CAIRN_RGW_DIR:-}}
    [ -n "$dir" ] || die "no gateway named: pass its state directory or set CAIRN_RGW_DIR (printed by: $0 start)"
    [ -f "$dir/$marker" ] || die "$dir is not a gateway state directory made by $0 start"
    port=$(cat "$dir/port" 2>/dev/null || true)
}

answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; }

# pid_of NAME : the pid of this gateway's daemon NAME, only if that process
# still runs with this gateway's ceph.conf (a pid file can outlive its
# process, and the pid can be reused by another one).
pid_of() {
    local pid
    pid=$(cat "$dir/run/$1.pid" 2>/dev/null) || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/ceph.conf" || return 1
    echo "$pid"
}

stop_daemons() {
    local name pid
    for name in "${daemons[@]}"; do
        pid=$(pid_of "$name") || continue
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
}

stop() {
    stop_daemons
    rm -rf "$dir"
}

# --- start ------------------------------------------------------------------

install_packages() {
    local missing=()
    for cmd in radosgw:radosgw ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw-admin:radosgw \
               monmaptool:ceph-mon ceph:ceph-common curl:curl python3:python3 ss:iproute2; do
        command -v "${cmd%%:*}" >/dev/null || missing+=("${cmd#*:}")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    [ "$(id -u)" -eq 0 ] || die "need root to install packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# free_port : a TCP port on 127.0.0.1 that nothing is bound to right now. A
# daemon may still lose it to another process before it binds; start then
# sees the bind fail and tries again with other ports.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# quiet CMD... : runs a ceph command with its output in the start log. Daemons
# fork into the background: they must not keep the caller's stdout (fd 1, or
# fd 3 where start keeps it), or `dir=$(rgw.sh start)` would never return.
quiet() { "$@" </dev/null >>"$dir/log/start.log" 2>&1 3>&-; }

write_conf() {
    local fsid=$1 mon_port=$2
    cat > "$dir/ceph.conf" <<CONF
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
# One bind attempt (Ceph counts attempts, not retries): a port taken by
# someone else fails fast, and start retries with other ports.
ms bind retry count = 1
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
rgw frontends = beast endpoint=127.0.0.1:RGW_PORT
rgw data = $dir/rgw
# Reclaim overwritten and deleted data quickly: memstore lives in RAM.
rgw gc obj min wait = 10
rgw gc processor period = 10
CONF
}

write_env() {
    printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' > "$dir/aws-config"
    cat > "$dir/env" <<ENV
export CAIRN_RGW_DIR=$dir
export S3_ENDPOINT=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=$access_key
export AWS_SECRET_ACCESS_KEY=$secret_key
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$dir/aws-config
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_PAGER=
ENV
}

# rgw_listens : the process listening on the gateway's port is this
# gateway's radosgw, not another server that took the port first.
rgw_listens() {
    local pid
    pid=$(pid_of client.rgw.cairn) || return 1
    ss -Hltnp "sport = :$port" | grep -q "pid=$pid,"
}

# wait_for_rgw : until this gateway's radosgw answers on its port; fails
# early when radosgw died or could not bind its port (it then lives on
# without serving anything), else after two minutes.
wait_for_rgw() {
    local deadline=$((SECONDS + 120))
    until answers && rgw_listens; do
        if [ -f "$dir/run/client.rgw.cairn.pid" ] && ! pid_of client.rgw.cairn >/dev/null; then
            log "radosgw exited"; return 1
        fi
        if grep -qs 'failed initializing frontend' "$dir/log/client.rgw.cairn.log"; then
            log "radosgw could not serve on port $port"; return 1
        fi
        [ "$SECONDS" -lt "$deadline" ] || { log "radosgw did not answer on port $port within 120 s"; return 1; }
        sleep 0.2
    done
}

# start_daemons : one attempt at bringing the gateway up in $dir. Each port
# is picked just before its daemon binds it, to keep the window short.
start_daemons() {
    local fsid osd_uuid mon_port c=(-c "$dir/ceph.conf")
    fsid=$(cat /proc/sys/kernel/random/uuid)
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    mon_port=$(free_port) || return 1
    write_conf "$fsid" "$mon_port" || return 1
    quiet monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" || return 1
    quiet ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap" || return 1
    quiet ceph-mon "${c[@]}" -i a || { log "ceph-mon did not start"; return 1; }
    quiet ceph "${c[@]}" --connect-timeout 60 osd new "$osd_uuid" || { log "the monitor did not answer"; return 1; }
    quiet ceph-osd "${c[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" || return 1
    quiet ceph-osd "${c[@]}" -i 0 || { log "ceph-osd did not start"; return 1; }
    port=$(free_port) || return 1
    echo "$port" > "$dir/port"
    sed -i "s/RGW_PORT/$port/" "$dir/ceph.conf" || return 1
    quiet radosgw "${c[@]}" -n client.rgw.cairn || { log "radosgw did not start"; return 1; }
    wait_for_rgw || return 1
    quiet radosgw-admin "${c[@]}" user create --uid=cairn-test --display-name=cairn-test \
        --access-key="$access_key" --secret-key="$secret_key" || return 1
    write_env || return 1
}

new_state_dir() {
    dir=$(mktemp -d "${TMPDIR:-/tmp}/cairn-rgw.XXXXXX")
    touch "$dir/$marker"
    mkdir -p "$dir"/{run,log,mon,osd/ceph-0,rgw}
}

# port_clash : the failed attempt lost one of its ports to another process.
port_clash() { grep -qs -e 'Address already in use' "$dir"/log/*.log; }

show_logs() {
    local f
    for f in "$dir"/log/*.log; do
        [ -s "$f" ] || continue
        log "--- last lines of $f"
        tail -n 20 "$f" >&2
    done
}

# abandon : EXIT trap of start. A start that did not finish stops the
# daemons it started, frees their data and keeps only the logs, whose path
# it prints; a successful start leaves its gateway running.
started=0
abandon() {
    [ "$started" = 0 ] && [ -n "$dir" ] || return 0
    stop_daemons
    rm -rf "$dir"/{mon,osd,rgw,run}
    show_logs
    log "start failed; logs in $dir/log (remove with: $0 stop $dir)"
}

start() {
    exec 3>&1 1>&2 # stdout carries only the state directory
    install_packages
    trap abandon EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local attempt
    for attempt in 1 2 3; do
        new_state_dir
        if start_daemons; then
            started=1
            log "radosgw answers on http://127.0.0.1:$port (state in $dir)"
            echo "$dir" >&3
            return 0
        fi
        port_clash && [ "$attempt" -lt 3 ] || exit 1
        log "attempt $attempt lost a port to another process; trying other ports"
        stop_daemons
        rm -rf "$dir"
    done
}

case "${1:-}" in
    start) start ;;
    stop) # Stopping a gateway that is already gone is not an error.
        [ ! -e "${2:-${CAIRN_RGW_DIR:-}}" ] && [ -n "${2:-${CAIRN_RGW_DIR:-}}" ] && exit 0
        use_dir "${2:-}"; stop ;;
    env) use_dir "${2:-}"; [ -f "$dir/env" ] || die "$dir has no env: its start did not finish"; cat "$dir/env" ;;
    status) use_dir "${2:-}"; [ -f "$dir/env" ] && answers ;;
    *) echo "usage: $0 start | env|status|stop [DIR]   (DIR defaults to \$CAIRN_RGW_DIR)" >&2; exit 2 ;;
esac
