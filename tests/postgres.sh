#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster for the test suite, from Debian's packages.
#   tests/postgres.sh start   → prints the URL to export as CARELINE_TEST_POSTGRES
#   tests/postgres.sh stop
# The cluster lives in $CARELINE_PG_DIR (default /tmp/careline-test-pg) on port
# $CARELINE_PG_PORT (default 55432), trusts local connections, and is thrown away on stop.
# Tests run it without fsync (speed); CARELINE_PG_DURABLE=1 keeps PostgreSQL's durable
# defaults (fsync, synchronous_commit, full_page_writes), as the benchmarks need.
set -euo pipefail
dir=${CARELINE_PG_DIR:-/tmp/careline-test-pg}
port=${CARELINE_PG_PORT:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

# PostgreSQL refuses to run as root: run it as the postgres user the package created.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [ -f "$dir/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      echo "postgres://postgres@127.0.0.1:$port/postgres"; exit 0
    fi
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
      || { cat "$dir.initdb.log" >&2; exit 1; }
    opts="-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=400"
    [ "${CARELINE_PG_DURABLE:-}" = 1 ] || opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start -o "$opts" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -d "$dir" ]; then
      as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
      rm -rf "$dir" "$dir.initdb.log"
    fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
