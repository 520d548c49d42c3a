#!/usr/bin/env bash
# Hand-run check of the services that up.sh started in DIR, with stock tools only (psql, curl >= 7.75).
#   usage: smoke.sh DIR
# PostgreSQL: connect with the values from DIR/pg/pg.env, create a table, upsert, read back, take an
# advisory lock. S3 (radosgw): create a bucket, PUT an object, GET a byte range of it, PUT the same key
# again with If-None-Match: * (expects 412), check that a wrong secret is refused (403), clean up.
set -euo pipefail
SVC_NAME=smoke
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

[ $# -eq 1 ] || svc_die "usage: $0 DIR"
DIR=$(cd "$1" && pwd)
[ -f "$DIR/pg/pg.env" ] && [ -f "$DIR/ceph/s3.env" ] || svc_die "$DIR/pg/pg.env or $DIR/ceph/s3.env missing; run up.sh $DIR first"
set -a
. "$DIR/pg/pg.env"
. "$DIR/ceph/s3.env"
set +a
failures=0
ok() { echo "  ok   $*"; }
bad() { echo "  FAIL $*" >&2; failures=$((failures + 1)); }
# check WHAT EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi; }

# ---- PostgreSQL -------------------------------------------------------------------------------------
t0=$(svc_now)
# Split the Npgsql connection string (Key=Value;...) into psql's parameters.
declare -A cs=()
IFS=';' read -ra parts <<<"$WITHCACHE_TEST_PG"
for kv in "${parts[@]}"; do [ -n "$kv" ] && cs[${kv%%=*}]=${kv#*=}; done
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -h "${cs[Host]}" -p "${cs[Port]}" -U "${cs[Username]}" -d "${cs[Database]}")
echo "PostgreSQL at ${cs[Host]}:${cs[Port]}/${cs[Database]}"
sql="CREATE TEMP TABLE smoke (k text PRIMARY KEY, v int NOT NULL);
INSERT INTO smoke VALUES ('a', 1), ('b', 2);
INSERT INTO smoke VALUES ('a', 10) ON CONFLICT (k) DO UPDATE SET v = excluded.v;
SELECT string_agg(k || '=' || v, ',' ORDER BY k) FROM smoke;
SELECT pg_try_advisory_lock(42);"
out=$(printf '%s\n' "$sql" | "${PSQL[@]}" 2>&1) || true
check "create, upsert, read back, advisory lock" "$(printf 'a=10,b=2\nt')" "$out"
tpg=$(svc_secs "$t0")

# ---- S3 ---------------------------------------------------------------------------------------------
t1=$(svc_now)
echo "S3 at $AWS_ENDPOINT_URL_S3 (region $AWS_REGION)"
TMP=$(mktemp -d /tmp/withcache-smoke.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# s3 METHOD PATH [BODYFILE] [curl args...]: signed request; prints the HTTP status, body goes to $TMP/out.
# curl 7.88 signs the request but does not send x-amz-content-sha256, which radosgw requires (it answers
# SignatureDoesNotMatch without it), so the payload hash is computed and sent here.
s3() {
  local method=$1 path=$2 body=${3:-} hash
  shift 3 || shift $#
  local args=(-sS -o "$TMP/out" -w '%{http_code}' -X "$method"
    --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:${SECRET_OVERRIDE:-$AWS_SECRET_ACCESS_KEY}")
  if [ -n "$body" ]; then
    hash=$(sha256sum "$body" | cut -d' ' -f1)
    args+=(--data-binary "@$body" -H 'Content-Type: application/octet-stream')
  else
    hash=$(printf '' | sha256sum | cut -d' ' -f1)
    [ "$method" = PUT ] && args+=(-H 'Content-Length: 0')
  fi
  curl "${args[@]}" -H "x-amz-content-sha256: $hash" "$@" "$AWS_ENDPOINT_URL_S3$path"
}
BUCKET=smoke-$(date +%s)-$$
head -c 100000 /dev/urandom >"$TMP/obj"
check "create bucket $BUCKET" 200 "$(s3 PUT "/$BUCKET")"
check "PUT object (100000 bytes)" 200 "$(s3 PUT "/$BUCKET/blob" "$TMP/obj")"
code=$(s3 GET "/$BUCKET/blob" "" -H 'Range: bytes=1000-1999' -D "$TMP/headers")
check "ranged GET status" 206 "$code"
check "ranged GET Content-Range" "bytes 1000-1999/100000" "$(grep -i '^content-range:' "$TMP/headers" | cut -d' ' -f2- | tr -d '\r')"
check "ranged GET bytes" "$(tail -c +1001 "$TMP/obj" | head -c 1000 | sha256sum)" "$(sha256sum <"$TMP/out")"
check "full GET bytes" 200:"$(sha256sum <"$TMP/obj")" "$(s3 GET "/$BUCKET/blob"):$(sha256sum <"$TMP/out")"
printf 'other bytes' >"$TMP/obj2"
check "PUT If-None-Match: * on an existing key" 412 "$(s3 PUT "/$BUCKET/blob" "$TMP/obj2" -H 'If-None-Match: *')"
check "object unchanged after the refused PUT" "$(sha256sum <"$TMP/obj")" "$(s3 GET "/$BUCKET/blob" >/dev/null; sha256sum <"$TMP/out")"
check "PUT If-None-Match: * on a new key" 200 "$(s3 PUT "/$BUCKET/blob2" "$TMP/obj2" -H 'If-None-Match: *')"
check "wrong secret is refused" 403 "$(SECRET_OVERRIDE=wrong-secret s3 GET "/$BUCKET/blob")"
check "DELETE objects" 204:204 "$(s3 DELETE "/$BUCKET/blob"):$(s3 DELETE "/$BUCKET/blob2")"
check "DELETE bucket" 204 "$(s3 DELETE "/$BUCKET")"
ts3=$(svc_secs "$t1")

echo "smoke: PostgreSQL $tpg s, S3 $ts3 s, total $(svc_secs "$t0") s"
if [ "$failures" -gt 0 ]; then
  echo "smoke: $failures check(s) FAILED" >&2
  exit 1
fi
echo "smoke: all checks passed"
