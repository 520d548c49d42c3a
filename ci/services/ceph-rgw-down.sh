#!/usr/bin/env bash
# Stop the Ceph daemons that ceph-rgw-up.sh started in DIR: radosgw, then the OSD, then the monitor, one
# at a time (radosgw needs the OSD while it shuts down; stopping both at once makes it hang until SIGKILL).
# Safe to run again, or on a DIR where nothing runs. Leaves DIR (data and logs) in place.
#   usage: ceph-rgw-down.sh DIR
set -euo pipefail
SVC_NAME=ceph-rgw-down
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

[ $# -eq 1 ] || svc_die "usage: $0 DIR"
[ -f "$1/ceph.conf" ] || exit 0
DIR=$(cd "$1" && pwd)

t0=$(svc_now)
rc=0 stopped=0
# Each daemon was started with `-c DIR/ceph.conf`; that on its command line identifies this cluster's processes.
find_daemon() { # EXE NAME: pid from the pid file, else (start-up died before writing it) by command line.
  local exe=$1 name=$2 pid p
  pid=$(svc_pid_of "$DIR/run/$name.pid" "$DIR/ceph.conf")
  if [ -z "$pid" ]; then
    for p in $(pgrep -x "$exe" || true); do
      svc_alive "$p" || continue
      tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -qF -- "-c $DIR/ceph.conf " && { pid=$p; break; }
    done
  fi
  echo "$pid"
}
for d in radosgw:client.rgw.a ceph-osd:osd.0 ceph-mon:mon.a; do
  pid=$(find_daemon "${d%%:*}" "${d#*:}")
  [ -n "$pid" ] || continue
  svc_stop_pid "$pid" "${d#*:}" 10 || rc=1
  stopped=$((stopped + 1))
done
[ "$stopped" -eq 0 ] || echo "$SVC_NAME: stopped $stopped Ceph daemon(s) in $DIR ($(svc_secs "$t0") s)"
exit $rc
