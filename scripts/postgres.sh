#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL cluster of our own for tests and benchmarks, on its
# own port and socket directory, run as the `postgres` user as Debian's packages expect.
#   scripts/postgres.sh start [DIR] [PORT]   prints the URL to use as GATEWAYD_STORE
#   scripts/postgres.sh stop  [DIR]
#   scripts/postgres.sh restart [DIR]        a fast restart (tests of reconnection)
set -euo pipefail
action=${1:-start}
dir=${2:-/tmp/gatewayd-pg}
port=${3:-25432}
bindir=$(pg_config --bindir)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$action" in
start)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        mkdir -p "$dir/data" "$dir/socket"
        [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
        as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
        cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
max_connections = 500
shared_buffers = 256MB
fsync = on
synchronous_commit = on
CONF
    fi
    if ! as_postgres "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
    fi
    as_postgres psql -h "$dir/socket" -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'gatewayd'" | grep -q 1 ||
        as_postgres psql -h "$dir/socket" -p "$port" -U postgres -qc "CREATE DATABASE gatewayd"
    echo "postgres://postgres@127.0.0.1:$port/gatewayd"
    ;;
stop)
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
restart)
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w restart -l "$dir/server.log" >/dev/null
    ;;
*)
    echo "usage: $0 start|stop|restart [DIR] [PORT]" >&2
    exit 2
    ;;
esac
