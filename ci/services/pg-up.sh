#!/usr/bin/env bash
# Start a throwaway PostgreSQL server in DIR (which must be empty or absent) and write DIR/pg.env.
#   usage: pg-up.sh DIR          env: PGPORT (default 15432)
# The server listens on 127.0.0.1 only, trusts every local connection, runs with fsync off (data is
# disposable) and has an empty database "withcache". Stop it with pg-down.sh DIR.
set -euo pipefail
SVC_NAME=pg-up
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

[ $# -eq 1 ] || svc_die "usage: $0 DIR"
PORT=${PGPORT:-15432}
# Ports at or above 32768 fall in the kernel's ephemeral range: a client probing a port nobody listens on
# yet can connect to itself there. Keep services below it.
[ "$PORT" -lt 32768 ] || svc_die "PGPORT=$PORT is in the ephemeral port range; use a port below 32768"

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$BIN" ] && [ -x "$BIN/pg_ctl" ] || svc_die "no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)"
id postgres >/dev/null 2>&1 || svc_die "no 'postgres' user (it comes with Debian's postgresql package)"
svc_port_free "$PORT" || svc_die "port $PORT is already in use"

svc_require_empty_dir "$1"
DIR=$(cd "$1" && pwd)
# PostgreSQL refuses to run as root, so everything runs as 'postgres', which must be able to reach DIR.
chown postgres: "$DIR"
chmod 0755 "$DIR"
runuser -u postgres -- test -w "$DIR" ||
  svc_die "user 'postgres' cannot write $DIR: a parent directory is not traversable (mktemp -d makes 0700 directories; chmod 755 it)"

as_pg() { runuser -u postgres -- "$@"; }
fail() { echo "$SVC_NAME: error: $*" >&2; svc_tail_logs "$DIR/initdb.log" "$DIR/pg.log"; "$HERE/pg-down.sh" "$DIR" >&2 || true; exit 1; }

t0=$(svc_now)
as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >"$DIR/initdb.log" 2>&1 ||
  fail "initdb failed"
t1=$(svc_now)
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/pg.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null 2>&1 || fail "the server did not start within 60 s"
t2=$(svc_now)
psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE withcache' >/dev/null 2>>"$DIR/pg.log" ||
  fail "CREATE DATABASE failed"

# An Npgsql connection string contains ';', so the value is single-quoted: `set -a; . pg.env` then works.
cat >"$DIR/pg.env" <<ENV
WITHCACHE_TEST_PG='Host=127.0.0.1;Port=$PORT;Username=postgres;Database=withcache'
ENV
echo "$SVC_NAME: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" \
  "(initdb $(svc_secs "$t0" "$t1") s, start $(svc_secs "$t1" "$t2") s, total $(svc_secs "$t0") s) -> $DIR/pg.env"
