#!/usr/bin/env bash
# Stop or start one engine of a DIR started by up.sh, for the outage tests (a hit while the store or the database
# is down must answer 503 and recover by itself once it is back).
#   usage: outage.sh DIR rgw-stop|rgw-start|pg-stop|pg-start|pg-freeze|pg-thaw
# rgw-stop stops radosgw only (the OSD and monitor keep running, so rgw-start is quick); pg-stop is pg_ctl's fast stop.
# pg-freeze stops (SIGSTOP) the postmaster and its backends: connections are still accepted by the kernel and then
# nothing answers, as with a hung VM or a stalled failover; pg-thaw lets them go on (SIGCONT).
set -euo pipefail
SVC_NAME=outage
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

[ $# -eq 2 ] || svc_die "usage: $0 DIR rgw-stop|rgw-start|pg-stop|pg-start|pg-freeze|pg-thaw"
DIR=$(cd "$1" && pwd)
CEPH=$DIR/ceph
PG=$DIR/pg
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pg_port() { sed -n "s/.*Port=\([0-9]*\).*/\1/p" "$PG/pg.env"; }
pg_main() { svc_pid_of "$PG/data/postmaster.pid" "$PG/data"; } # the postmaster, checked against a recycled pid
# signal SIG PID: the postmaster first (so it forks nothing new meanwhile), then its children (backends, workers).
# A child that exits between the listing and the kill is not an error.
pg_signal() {
  kill "-$1" "$2" 2>/dev/null || true
  local children; children=$(pgrep -P "$2" || true)
  [ -z "$children" ] || kill "-$1" $children 2>/dev/null || true
}
rgw_port() { sed -n "s/^AWS_ENDPOINT_URL_S3='http:\/\/127.0.0.1:\([0-9]*\)'/\1/p" "$CEPH/s3.env"; }

case $2 in
  rgw-stop)
    pid=$(svc_pid_of "$CEPH/run/client.rgw.a.pid" "$CEPH/ceph.conf")
    [ -z "$pid" ] || svc_stop_pid "$pid" radosgw 10
    ;;
  rgw-start)
    [ -z "$(svc_pid_of "$CEPH/run/client.rgw.a.pid" "$CEPH/ceph.conf")" ] || exit 0
    radosgw -c "$CEPH/ceph.conf" -n client.rgw.a >>"$CEPH/log/client.rgw.a.out" 2>&1 || svc_die "radosgw did not start"
    port=$(rgw_port)
    for ((i = 0; i < 600; i++)); do
      curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && exit 0
      sleep 0.1
    done
    svc_die "radosgw did not answer on $port within 60 s"
    ;;
  pg-stop)
    runuser -u postgres -- "$BIN/pg_ctl" -D "$PG/data" status >/dev/null 2>&1 || exit 0
    runuser -u postgres -- "$BIN/pg_ctl" -D "$PG/data" -m fast -w -t 30 stop >/dev/null
    ;;
  pg-start)
    ! runuser -u postgres -- "$BIN/pg_ctl" -D "$PG/data" status >/dev/null 2>&1 || exit 0
    runuser -u postgres -- "$BIN/pg_ctl" -D "$PG/data" -l "$PG/pg.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $(pg_port) -k $PG -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null
    ;;
  pg-freeze)
    main=$(pg_main); [ -n "$main" ] || svc_die "no PostgreSQL running in $PG"
    pg_signal STOP "$main"
    ;;
  pg-thaw)
    main=$(pg_main); [ -z "$main" ] || pg_signal CONT "$main"
    ;;
  *) svc_die "unknown action '$2'" ;;
esac
