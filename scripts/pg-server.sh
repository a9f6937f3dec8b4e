#!/usr/bin/env bash
# Makes, starts, stops, crashes and removes throwaway PostgreSQL clusters for
# tests, as a non-root owner (the server refuses to run as root).
#
#   scripts/pg-server.sh init DIR      new cluster in DIR (made if missing), started
#                                      on a free port of 127.0.0.1 with its socket in
#                                      DIR/socket; prints the port
#   scripts/pg-server.sh start DIR     start it again (same port)
#   scripts/pg-server.sh stop DIR      clean shutdown
#   scripts/pg-server.sh crash DIR     `pg_ctl stop -m immediate`: the server dies
#                                      without a checkpoint, as on a power cut, and
#                                      recovers from WAL on the next start
#   scripts/pg-server.sh destroy DIR   stop (immediately) and delete DIR
#   scripts/pg-server.sh status DIR
#
# DIR's parent must be traversable by that user (/tmp is).
# The superuser is `billing` with trust authentication on 127.0.0.1 only.
# PG_BIN overrides /usr/lib/postgresql/15/bin. When run as root the cluster is
# owned by the `postgres` system user (created if missing). Never reads stdin.
set -euo pipefail

action=${1:?usage: pg-server.sh init|start|stop|crash|destroy|status DIR}
dir=${2:?usage: pg-server.sh $action DIR}
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
data=$dir/data

owner_of() { stat -c %U "$1"; }

as_owner() {
    local owner
    owner=$(owner_of "$data")
    if [[ $(id -u) -eq 0 && $owner != root ]]; then
        runuser -u "$owner" -- "$@" </dev/null
    else
        "$@" </dev/null
    fi
}

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

init_cluster() {
    local owner
    owner=$(id -un)
    if [[ $(id -u) -eq 0 ]]; then
        owner=postgres
        if ! id -u "$owner" >/dev/null 2>&1; then
            useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
        fi
    fi
    mkdir -p "$dir/data" "$dir/socket"
    chmod 755 "$dir"
    chmod 700 "$dir/data"
    [[ $owner != $(id -un) ]] && chown "$owner" "$dir" "$dir/data" "$dir/socket"
    as_owner "$bin/initdb" -D "$data" -U billing --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    local port
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 40000))
        port_is_free "$port" || continue
        cat >"$data/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
shared_buffers = 128MB
max_connections = 200
fsync = on
CONF
        [[ $owner != $(id -un) ]] && chown "$owner" "$data/postgresql.auto.conf"
        if as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1; then
            echo "$port"
            return 0
        fi
    done
    echo "pg-server.sh: could not start PostgreSQL in $dir; server log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
}

case $action in
    init) init_cluster ;;
    start) as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null ;;
    stop) as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null ;;
    crash) as_owner "$bin/pg_ctl" -D "$data" -m immediate -w -t 60 stop >/dev/null ;;
    status) as_owner "$bin/pg_ctl" -D "$data" status ;;
    destroy)
        if [[ -f $data/postmaster.pid ]]; then
            as_owner "$bin/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        fi
        rm -rf "$dir"
        ;;
    *) echo "pg-server.sh: unknown action $action" >&2; exit 2 ;;
esac
