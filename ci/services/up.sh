#!/usr/bin/env bash
# Start every throwaway engine the scale-out tests need, under DIR (empty or absent):
#   DIR/pg    PostgreSQL (pg-up.sh)              -> DIR/pg/pg.env
#   DIR/ceph  Ceph mon + OSD + radosgw (S3)      -> DIR/ceph/s3.env
# Installs the Debian packages first when they are missing. Prints the time each step took.
#   usage: up.sh DIR [memstore|bluestore]     (object store for the OSD, default memstore)
# Stop everything and remove DIR with down.sh DIR. If a start fails, whatever had started is stopped again
# and DIR is left in place with its logs.
set -euo pipefail
SVC_NAME=up
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || svc_die "usage: $0 DIR [memstore|bluestore]"
STORE=${2:-memstore}
svc_require_empty_dir "$1"
DIR=$(cd "$1" && pwd)
# The PostgreSQL server runs as 'postgres' and must be able to traverse DIR (mktemp -d creates it 0700).
chmod 0755 "$DIR"
# Marks DIR as created by these scripts: down.sh deletes only directories carrying it.
echo "withcache throwaway services; remove with ci/services/down.sh" >"$DIR/.withcache-services"

t0=$(svc_now)
missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && command -v psql >/dev/null || missing+=(postgresql)
command -v ceph-mon >/dev/null || missing+=(ceph-mon)
command -v ceph-osd >/dev/null || missing+=(ceph-osd)
command -v radosgw >/dev/null || missing+=(radosgw)
{ command -v ceph >/dev/null && command -v radosgw-admin >/dev/null && command -v monmaptool >/dev/null; } || missing+=(ceph-common)
if [ ${#missing[@]} -gt 0 ]; then
  echo "$SVC_NAME: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$DIR/apt.log" 2>&1 ||
    { tail -n 30 "$DIR/apt.log" >&2; svc_die "apt-get install ${missing[*]} failed"; }
fi
t1=$(svc_now)

"$HERE/pg-up.sh" "$DIR/pg" || svc_die "PostgreSQL did not start (logs in $DIR/pg)"
t2=$(svc_now)
if ! "$HERE/ceph-rgw-up.sh" "$DIR/ceph" "$STORE"; then
  "$HERE/pg-down.sh" "$DIR/pg" || true
  svc_die "Ceph/radosgw did not start (logs in $DIR/ceph/log); PostgreSQL stopped again"
fi
t3=$(svc_now)

echo "$SVC_NAME: timings: install $(svc_secs "$t0" "$t1") s${missing[*]:+ (${missing[*]})}, PostgreSQL $(svc_secs "$t1" "$t2") s," \
  "Ceph/rgw ($STORE) $(svc_secs "$t2" "$t3") s, total $(svc_secs "$t0" "$t3") s"
echo "$SVC_NAME: env files: $DIR/pg/pg.env $DIR/ceph/s3.env"
