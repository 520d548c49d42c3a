#!/usr/bin/env bash
# Stop everything up.sh started in DIR (radosgw, OSD, mon, then PostgreSQL) and delete DIR.
# Safe to run again and on a DIR that is already gone. Set KEEP_DIR=1 to keep DIR (logs) after stopping.
#   usage: down.sh DIR
set -euo pipefail
SVC_NAME=down
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

[ $# -eq 1 ] || svc_die "usage: $0 DIR"
[ -d "$1" ] || exit 0
DIR=$(cd "$1" && pwd)
t0=$(svc_now)
rc=0
"$HERE/ceph-rgw-down.sh" "$DIR/ceph" || rc=1
"$HERE/pg-down.sh" "$DIR/pg" || rc=1
[ "$rc" -eq 0 ] || svc_die "some daemon did not stop; $DIR kept"
if [ "${KEEP_DIR:-0}" != 1 ]; then
  if [ -f "$DIR/.withcache-services" ]; then
    rm -rf -- "$DIR"
  else
    echo "$SVC_NAME: $DIR was not created by up.sh (no .withcache-services marker); not deleting it" >&2
  fi
fi
echo "$SVC_NAME: done in $(svc_secs "$t0") s"
