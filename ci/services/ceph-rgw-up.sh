#!/usr/bin/env bash
# Start a throwaway single-node Ceph cluster (one mon, one OSD, no mgr) with one radosgw serving S3,
# all as plain processes on 127.0.0.1 with every file under DIR (which must be empty or absent).
# Creates an S3 user with fixed throwaway keys and writes DIR/s3.env. Stop it with ceph-rgw-down.sh DIR.
#   usage: ceph-rgw-up.sh DIR [memstore|bluestore]     (default memstore)
#   env:   MONPORT (16789), RGWPORT (17480), S3_ACCESS_KEY, S3_SECRET_KEY
# memstore keeps the objects in the OSD's RAM (fast local loop); bluestore is the production object
# store, on a sparse 8 GiB file in DIR (about 110 MB really written).
set -euo pipefail
SVC_NAME=ceph-rgw-up
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || svc_die "usage: $0 DIR [memstore|bluestore]"
STORE=${2:-memstore}
case $STORE in memstore | bluestore) ;; *) svc_die "unknown object store '$STORE' (memstore or bluestore)" ;; esac
MONPORT=${MONPORT:-16789}
RGWPORT=${RGWPORT:-17480}
ACCESS_KEY=${S3_ACCESS_KEY:-WITHCACHETESTACCESS1}
SECRET_KEY=${S3_SECRET_KEY:-withcache-throwaway-test-secret-key-0001}
# Below 32768: a readiness probe against a port in the ephemeral range can connect to itself.
for p in "$MONPORT" "$RGWPORT"; do
  [ "$p" -lt 32768 ] || svc_die "port $p is in the ephemeral port range; use a port below 32768"
  svc_port_free "$p" || svc_die "port $p is already in use"
done
for c in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool; do
  command -v "$c" >/dev/null || svc_die "$c not found (apt-get install ceph-mon ceph-osd radosgw ceph-common)"
done

svc_require_empty_dir "$1"
DIR=$(cd "$1" && pwd)
CONF=$DIR/ceph.conf
export CEPH_CONF=$CONF   # for the ceph, ceph-authtool and radosgw-admin clients; daemons get -c "$CONF"
                         # so that their command line names this cluster (the down script checks it)
mkdir -p "$DIR/run" "$DIR/log" "$DIR/mon.a" "$DIR/osd0" "$DIR/rgw.a"

fail() {
  echo "$SVC_NAME: error: $*" >&2
  svc_tail_logs "$DIR/log/mon.a.log" "$DIR/log/osd.0.log" "$DIR/log/client.rgw.a.log" "$DIR/log/radosgw-admin.out"
  "$HERE/ceph-rgw-down.sh" "$DIR" >&2 || true
  exit 1
}

# wait_until SECONDS WHAT PIDFILE COMMAND...: retry COMMAND every 0.1 s until it succeeds; fail early if
# the daemon behind PIDFILE dies, fail after SECONDS.
wait_until() {
  local limit=$1 what=$2 pidfile=$3 deadline pid
  shift 3
  deadline=$(awk -v n="$(svc_now)" -v l="$limit" 'BEGIN { printf "%d", n + l }')
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    pid=$(svc_pid_of "$pidfile" "$CONF")
    if [ -z "$pid" ] && [ -s "$pidfile" ]; then fail "$what: the daemon (pid $(cat "$pidfile")) died"; fi
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what: not ready after ${limit} s"
    sleep 0.1
  done
}

t0=$(svc_now)
FSID=$(cat /proc/sys/kernel/random/uuid)
cat >"$CONF" <<CONF
# Throwaway single-node cluster written by ci/services/ceph-rgw-up.sh
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MONPORT
mon initial members = a
public network = 127.0.0.0/8
ms bind msgr2 = false
# cephx stays on: with auth none the OSD's first mon command carries fsid 0 and the OSD exits.
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file = $DIR/run/\$name.pid
osd objectstore = $STORE
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 2
mon data avail crit = 1
# Faster paxos rounds: rgw creates its pools one by one on first start, ~2 s each without these.
paxos propose interval = 0.1
paxos min wait = 0.01

[mon.a]
mon data = $DIR/mon.a

[osd.0]
osd data = $DIR/osd0
keyring = $DIR/osd0/keyring
memstore device bytes = 4294967296
# No "bluestore block path": pointing it into the OSD dir fails with ELOOP; "block" is created there anyway.
bluestore block create = true
bluestore block size = 8589934592
bluestore fsck on mount = false

[client.rgw.a]
keyring = $DIR/rgw.a/keyring
rgw data = $DIR/rgw.a
rgw frontends = beast endpoint=127.0.0.1:$RGWPORT
CONF

# Monitor.
ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$DIR/keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v1:127.0.0.1:$MONPORT]" "$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" >"$DIR/log/mon-mkfs.out" 2>&1 ||
  { cat "$DIR/log/mon-mkfs.out" >&2; fail "ceph-mon --mkfs failed"; }
ceph-mon -c "$CONF" -i a >"$DIR/log/mon.a.out" 2>&1 || fail "ceph-mon did not start"
wait_until 60 "monitor" "$DIR/run/mon.a.pid" ceph --connect-timeout 5 mon stat
t1=$(svc_now)

# OSD: register it with its own cephx key, make its store, start it, wait until the map shows it up.
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_KEY=$(ceph-authtool --gen-print-key)
printf '{"cephx_secret": "%s"}\n' "$OSD_KEY" >"$DIR/osd0/new.json"
OSD_ID=$(ceph --connect-timeout 10 osd new "$OSD_UUID" -i "$DIR/osd0/new.json") || fail "ceph osd new failed"
rm -f "$DIR/osd0/new.json"
[ "$OSD_ID" = 0 ] || fail "expected osd id 0, got '$OSD_ID'"
ceph-authtool --create-keyring "$DIR/osd0/keyring" --name osd.0 --add-key "$OSD_KEY" >/dev/null
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$DIR/log/osd-mkfs.out" 2>&1 ||
  { cat "$DIR/log/osd-mkfs.out" >&2; fail "ceph-osd --mkfs failed"; }
ceph-osd -c "$CONF" -i 0 >"$DIR/log/osd.0.out" 2>&1 || fail "ceph-osd did not start"
osd_up() { ceph --connect-timeout 5 osd stat | grep -q '1 up'; }
wait_until 120 "osd" "$DIR/run/osd.0.pid" osd_up
t2=$(svc_now)

# radosgw (beast) and the S3 user.
ceph --connect-timeout 10 auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' -o "$DIR/rgw.a/keyring" ||
  fail "could not create the rgw key"
radosgw -c "$CONF" -n client.rgw.a >"$DIR/log/client.rgw.a.out" 2>&1 || fail "radosgw did not start"
rgw_answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$RGWPORT/"; }
wait_until 120 "radosgw" "$DIR/run/client.rgw.a.pid" rgw_answers
radosgw-admin user create --uid=withcache --display-name="withcache tests" \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$DIR/log/radosgw-admin.out" 2>&1 ||
  fail "radosgw-admin user create failed"
t3=$(svc_now)

cat >"$DIR/s3.env" <<ENV
AWS_ENDPOINT_URL_S3='http://127.0.0.1:$RGWPORT'
AWS_REGION='us-east-1'
AWS_ACCESS_KEY_ID='$ACCESS_KEY'
AWS_SECRET_ACCESS_KEY='$SECRET_KEY'
ENV
echo "$SVC_NAME: Ceph $(ceph-mon --version | awk '{print $3}') $STORE, radosgw on http://127.0.0.1:$RGWPORT" \
  "(mon $(svc_secs "$t0" "$t1") s, osd +$(svc_secs "$t1" "$t2") s, rgw+user +$(svc_secs "$t2" "$t3") s, total $(svc_secs "$t0" "$t3") s) -> $DIR/s3.env"
