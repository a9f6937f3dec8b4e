#!/usr/bin/env bash
# Runs a command with a real PostgreSQL: `scripts/with-postgres.sh CMD [ARGS...]`
# (scripts/test.sh and scripts/bench.sh use it).
#
# When DATABASE_URL points at a reachable server, CMD uses it. Otherwise this
# script makes a throwaway cluster in a
# temporary directory (scripts/pg-server.sh: initdb + pg_ctl, its own socket
# directory, a free port on 127.0.0.1, owned by a non-root user because the
# server refuses root), exports DATABASE_URL for CMD, and stops and removes
# the cluster when CMD ends, also when it fails or is interrupted. Exits with
# CMD's status. Runs CMD from the repository root. Needs no stdin (CI=true).
#
# Tests that kill a server mid-write make their own cluster with
# scripts/pg-server.sh (BILLING_TEST_PGSERVER names it), so they never
# disturb the shared one.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export BILLING_TEST_PGSERVER=$root/scripts/pg-server.sh

(($#)) || { echo "usage: scripts/with-postgres.sh CMD [ARGS...]" >&2; exit 2; }

log() { echo "with-postgres.sh: $*" >&2; }

# A fresh machine may lack the server binaries (CI runs as root).
ensure_binaries() {
    [[ -x $PG_BIN/initdb ]] && return 0
    if [[ $(id -u) -ne 0 ]]; then
        log "$PG_BIN/initdb not found: install postgresql-15 (apt-get install -y postgresql-15) or set DATABASE_URL"
        return 1
    fi
    log "installing postgresql-15"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null
    apt-get install -y -qq postgresql-15 </dev/null >/dev/null
}

# CMD runs in the background so an INT/TERM sent to this script (CI
# cancelling, `timeout`) reaches it too before the cluster is removed.
child=
work=
run_command() {
    cd "$root"
    local status=0
    "$@" </dev/null &
    child=$!
    wait "$child" || status=$?
    child=
    return $status
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n $child ]]; then
        # Stop CMD's children first (swift test's test process) so none is orphaned.
        pkill -TERM -P "$child" 2>/dev/null || true
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    if [[ -n $work ]]; then
        "$BILLING_TEST_PGSERVER" destroy "$work" >/dev/null 2>&1 || rm -rf "$work"
    fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n ${DATABASE_URL:-} ]] && command -v pg_isready >/dev/null \
    && pg_isready -d "$DATABASE_URL" -t 5 >/dev/null 2>&1; then
    log "using the server at DATABASE_URL"
    ensure_binaries || log "server binaries missing: tests that crash a server will be skipped"
    status=0
    run_command "$@" || status=$?
    exit $status
fi
[[ -n ${DATABASE_URL:-} ]] && log "DATABASE_URL is set but not reachable: starting a throwaway cluster instead"

ensure_binaries

work=$(mktemp -d "${TMPDIR:-/tmp}/billing-pg.XXXXXX")

port=$("$BILLING_TEST_PGSERVER" init "$work")
export DATABASE_URL="postgres://billing@127.0.0.1:$port/postgres?sslmode=disable"
log "throwaway PostgreSQL on 127.0.0.1:$port ($work)"

status=0
run_command "$@" || status=$?
exit $status
