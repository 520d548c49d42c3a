#!/usr/bin/env bash
# Stop the PostgreSQL server that pg-up.sh started in DIR. Safe to run again, or on a DIR where
# nothing runs. Leaves DIR (data and logs) in place.
#   usage: pg-down.sh DIR
set -euo pipefail
SVC_NAME=pg-down
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

[ $# -eq 1 ] || svc_die "usage: $0 DIR"
[ -d "$1/data" ] || exit 0
DIR=$(cd "$1" && pwd)

pid=$(svc_pid_of "$DIR/data/postmaster.pid" "$DIR/data")
[ -n "$pid" ] || exit 0
BIN=$(dirname "$(readlink -f "/proc/$pid/exe")")
t0=$(svc_now)
# A test may have left it frozen (outage.sh pg-freeze): a stopped process never sees pg_ctl's signal.
kill -CONT "$pid" $(pgrep -P "$pid" || true) 2>/dev/null || true
if ! runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
  echo "$SVC_NAME: pg_ctl stop failed; killing pid $pid" >&2
  svc_stop_pid "$pid" postgres 5
fi
# pg_ctl returns once the pid file is gone; make sure the postmaster really exited.
for ((i = 0; i < 100; i++)); do svc_alive "$pid" || break; sleep 0.05; done
svc_alive "$pid" && svc_die "postgres (pid $pid) is still running"
echo "$SVC_NAME: stopped PostgreSQL in $DIR ($(svc_secs "$t0") s)"
