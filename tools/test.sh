#!/usr/bin/env bash
# Runs the whole test suite (unit, real curl/wget, NativeAOT shim end to end, the scale-out tests against a real
# PostgreSQL and Ceph radosgw) and prints one summary line.
#
# The scale-out engines: when WITHCACHE_TEST_PG / AWS_ENDPOINT_URL_S3 are not already set and this runs as root on
# Debian, ci/services/up.sh starts a throwaway PostgreSQL and single-node Ceph (installing them the first time,
# about 20 s) and they are stopped at the end. Then the server tests run a second time with every test server on
# PostgreSQL + S3 (WITHCACHE_TEST_BACKENDS=postgres-s3). WITHCACHE_TEST_ENGINES=off skips all that (those tests
# then say they were skipped); under CI=true an engine that does not start fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
results=$(mktemp -d)
# The engines live under it, and PostgreSQL runs as user postgres, which must be able to enter it.
chmod 755 "$results"
services=""
cleanup() {
  if [ -n "$services" ]; then bash ci/services/down.sh "$services" >/dev/null || echo "test: could not stop the engines in $services" >&2; fi
  rm -rf "$results"
}
trap cleanup EXIT

if [ -z "${WITHCACHE_TEST_PG:-}${AWS_ENDPOINT_URL_S3:-}" ] && [ "${WITHCACHE_TEST_ENGINES:-auto}" != off ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    services="$results/engines"
    if bash ci/services/up.sh "$services" bluestore; then
      set -a
      . "$services/pg/pg.env"
      . "$services/ceph/s3.env"
      set +a
      # The outage tests stop and start radosgw and PostgreSQL through ci/services/outage.sh on this DIR.
      export WITHCACHE_TEST_SERVICES="$services"
    else
      echo "test: the PostgreSQL/Ceph engines did not start (logs in $services)" >&2
      if [ "${CI:-}" = true ]; then exit 1; fi
      KEEP_DIR=1 bash ci/services/down.sh "$services" >/dev/null 2>&1
      services=""
    fi
  else
    echo "test: not root on Debian: the scale-out tests against PostgreSQL and Ceph are skipped" >&2
  fi
fi

dotnet test WithCache.slnx --logger "trx" --results-directory "$results" "$@"
status=$?

if [ -n "${WITHCACHE_TEST_PG:-}" ] && [ -n "${AWS_ENDPOINT_URL_S3:-}" ]; then
  echo "test: the server tests again, every test server on PostgreSQL + S3"
  WITHCACHE_TEST_BACKENDS=postgres-s3 dotnet test tests/WithCache.Server.Tests --logger "trx;LogFilePrefix=postgres-s3" \
    --results-directory "$results" "$@"
  second=$?
  [ "$status" -ne 0 ] || status=$second
fi

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "test: no test ran" >&2
  exit 1
fi
exit "$status"
