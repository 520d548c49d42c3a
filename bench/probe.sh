#!/usr/bin/env bash
# HEAD probes on a catalog of 100,000 artifacts: HEAD on the fetch URLs of a spread of KEYS seeded keys in turn,
# 1,000 req/s for 30 s (see below why not wrk). The catalog is seeded
# with SQL as bench/ui-pages.sh does (all rows share one blob). DESIGN.md target 7 (probe part): p99 <= 5 ms,
# zero non-2xx.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need sqlite3
rows=${ROWS:-100000}
keys=${KEYS:-1000}
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill $server_pid 2>/dev/null; rm -rf "$work"' EXIT
port=$(free_port)
server_build "$work/server"
# BACKEND=postgres-s3: the same probes on a cache-host with the PostgreSQL catalog and blobs on S3 (its own throwaway
# engines from ci/services, root on Debian). Every HEAD hit then asks PostgreSQL for the row and the store for the
# object. No target in DESIGN.md for this pair: the figures are for the scale-out note.
backend=${BACKEND:-local}
args=()
if [ "$backend" = postgres-s3 ]; then
  trap '[ -n "$server_pid" ] && kill $server_pid 2>/dev/null; bash ci/services/down.sh "$work/engines" >/dev/null 2>&1; rm -rf "$work"' EXIT
  chmod 755 "$work"
  pgport=${PGPORT:-25434}
  PGPORT=$pgport MONPORT=${MONPORT:-26791} RGWPORT=${RGWPORT:-27482} bash ci/services/up.sh "$work/engines" bluestore >/dev/null
  set -a; . "$work/engines/pg/pg.env"; . "$work/engines/ceph/s3.env"; set +a
  s3() { # method path [file]: a signed request to radosgw (it needs x-amz-content-sha256 from the client)
    local hash; hash=$(sha256sum < "${3:-/dev/null}" | cut -d' ' -f1)
    curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
      -H "x-amz-content-sha256: $hash" -X "$1" ${3:+--data-binary "@$3"} "$AWS_ENDPOINT_URL_S3$2" -o /dev/null
  }
  digest=$(printf 'bench' | sha256sum | cut -d' ' -f1)
  printf 'bench' > "$work/blob"
  s3 PUT /bench
  s3 PUT "/bench/probe/sha256/${digest:0:2}/${digest:2:2}/$digest" "$work/blob"
  args=(--catalog "$WITHCACHE_TEST_PG" --blobs s3://bench/probe/)
fi
start() { "$work/server/withcache-server" --data-dir "$work/data" --port "$port" --bind 127.0.0.1 "${args[@]}" > "$work/server.log" 2>&1 & server_pid=$!;
          wait_code "http://127.0.0.1:$port/healthz" 200 30 || { cat "$work/server.log" >&2; exit 1; }; }
start; kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
if [ "$backend" = postgres-s3 ]; then
  psql -q "host=127.0.0.1 port=$pgport user=postgres dbname=withcache" <<SQL
INSERT INTO artifacts(key, origin, digest, size, fetched_at, hits, misses_before)
SELECT 'https://vendor' || (i % 50) || '.example/pkg/' || i || '/artifact-' || i || '.tar.gz', 'https://vendor' || (i % 50) || '.example/pkg/' || i || '/artifact-' || i || '.tar.gz',
       '$digest', 5, 1790000000000 + i * 1000, i % 977, i % 13 FROM generate_series(1, $rows) AS i;
ANALYZE artifacts;
SQL
else
  seed_catalog "$work/data" "$rows"
fi
start
step=$(( rows / keys > 0 ? rows / keys : 1 ))
for i in $(seq 1 "$step" "$rows"); do
  origin="https://vendor$((i % 50)).example/pkg/$i/artifact-$i.tar.gz"
  url=$(fetch_url "$port" "$origin"); echo "/${url#http://*/}"
done > "$work/paths"
code=$(curl -s -I -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$(head -1 "$work/paths")")
[ "$code" = 200 ] || { echo "a seeded key's HEAD answered $code, not 200" >&2; cat "$work/server.log" >&2; exit 1; }
# Debian's wrk 4.1 never completes a HEAD whose response carries a Content-Length (it waits for a body that
# never comes: 0 requests), so the probes are sent by a small asyncio client instead: CONNS keep-alive
# connections, HEAD on the paths in turn, capped at RATE req/s overall (each request scheduled; latency from the
# scheduled time, so a stall is not hidden), for SECONDS; every status counted.
cat > "$work/probe.py" <<'PY'
import asyncio, sys, time
port, rate, seconds, conns = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
paths = open(sys.argv[5]).read().split()
lat, bad, statuses = [], 0, {}
async def worker(k):
    global bad
    r, w = await asyncio.open_connection("127.0.0.1", port)
    interval, t0, n = conns / rate, start + k / rate, 0
    while True:
        due = t0 + n * interval
        if due - start >= seconds: break
        delay = due - time.perf_counter()
        if delay > 0: await asyncio.sleep(delay)
        path = paths[(k + n * conns) % len(paths)]
        w.write(f"HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await r.readuntil(b"\r\n\r\n")
        lat.append(time.perf_counter() - due)
        status = int(head.split(b" ", 2)[1]); statuses[status] = statuses.get(status, 0) + 1
        if not 200 <= status <= 299: bad += 1
        n += 1
    w.close()
start = time.perf_counter() + 0.2
async def main(): await asyncio.gather(*(worker(k) for k in range(conns)))
asyncio.run(main())
took = time.perf_counter() - start
lat.sort(); q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
print(len(lat), f"{len(lat)/took:.0f}", f"{q(0.5):.2f}", f"{q(0.99):.2f}", f"{lat[-1]*1000:.2f}", bad, statuses)
PY
read -r total rps p50 p99 max bad statuses < <(python3 "$work/probe.py" "$port" "${RATE:-1000}" "${SECONDS_RUN:-30}" "${CONNS:-8}" "$work/paths")
echo "# HEAD probes on $rows artifacts (bench/probe.sh, backend: $backend)"
echo
echo "Machine: $(nproc) cores. HEAD on the fetch URLs of $(wc -l < "$work/paths") seeded keys in turn, ${CONNS:-8} keep-alive connections,"
echo "capped at ${RATE:-1000} req/s for ${SECONDS_RUN:-30} s by an asyncio client (Debian's wrk 4.1 hangs on HEAD responses with a"
echo "Content-Length and has no rate option). Latency counted from each request's scheduled time. Statuses: $statuses."
echo
echo "| requests | req/s | p50 | p99 | max | non-2xx | target |"
echo "|---|---|---|---|---|---|---|"
echo "| $total | $rps | ${p50} ms | ${p99} ms | ${max} ms | $bad | p99 <= 5 ms at 1,000 req/s, zero non-2xx |"
pass=$(awk -v p="$p99" -v b="$bad" -v t="$total" 'BEGIN { print (t > 0 && p <= 5 && b == 0) ? "PASS" : "FAIL" }')
if [ "$backend" != local ]; then
  echo "(backend $backend: no target; not a RESULT line)"
  exit 0
fi
result probe-p99 "${p99}ms" "<=5ms" "$pass"
result probe-errors "${bad}/${total}" "0" "$( [ "$bad" = 0 ] && [ "$total" -gt 0 ] && echo PASS || echo FAIL)"
