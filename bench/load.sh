#!/usr/bin/env bash
# Load: DURATION (default 60) seconds of mixed traffic on withcache-server at the highest rate the machine holds
# (CONNS keep-alive connections, default 24, in PROCS asyncio processes, each request sent as soon as the last is
# answered): HEAD probes of cached artifacts, GETs of them with and without Range (every body checked: sha-256 or
# the exact slice), misses of distinct never-seen URLs (404 miss; their fills run meanwhile) and UI page loads
# (200), weighted by MIX (see bench/load.py). The cache fills from a loopback nginx; the catalog holds ROWS
# seeded artifacts and misses besides. Target (issue 7): zero 5xx, zero failed checksums, and the server's RSS
# back within the baseline + max(25 %, 32 MiB) after SETTLE (default 30) seconds. Writes bench/results/load.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need nginx sqlite3
rows=${ROWS:-10000}
artifacts=${ARTIFACTS:-24}

work=$(mktemp -d); chmod 755 "$work"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/www/files" "$work/data"
origin_port=$(free_port); cache_port=$(free_port)
# /gen/... answers 200 with its own path as the body (so a miss's fill succeeds and its bytes are known); any
# other path that is not a file is a 404, so those fills fail for good.
nginx_static "$work" 1 "$origin_port" "$work/www" 'location /gen/ { default_type application/octet-stream; return 200 "$uri"; }'
sizes=(100 1500 16384 65543 300000 1048576)
for i in $(seq 1 "$artifacts"); do
  head -c "${sizes[$(( (i - 1) % ${#sizes[@]} ))]}" /dev/urandom > "$work/www/files/a$i.bin"
done
chmod -R a+rX "$work/www"

server_build "$work/server"
start_cache "$work/data" "$cache_port" --allow-private
wait_code "http://127.0.0.1:$cache_port/healthz" 200 60 || { cat "$work/server.log" >&2; exit 1; }
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
seed_catalog "$work/data" "$rows" "$rows"
# One driver address asks for about 150 new URLs a second; lift the per-client fill limit so every miss fills.
start_cache "$work/data" "$cache_port" --allow-private --auto-fills-per-minute 0
wait_code "http://127.0.0.1:$cache_port/healthz" 200 60 || { cat "$work/server.log" >&2; exit 1; }

# The manifest for load.py: the filled artifacts (path, size, sha-256, file), 1,000 seeded keys, the UI pages.
for i in $(seq 1 "$artifacts"); do
  url=$(fetch_url "$cache_port" "http://127.0.0.1:$origin_port/files/a$i.bin")
  curl -s -o /dev/null "$url"
done
for i in $(seq 1 "$artifacts"); do
  file="$work/www/files/a$i.bin"; url=$(fetch_url "$cache_port" "http://127.0.0.1:$origin_port/files/a$i.bin")
  wait_code "$url" 200 120 || { cat "$work/server.log" >&2; exit 1; }
  printf 'artifact\t/%s\t%s\t%s\t%s\n' "${url#http://*/}" "$(stat -c %s "$file")" "$(sha256sum "$file" | cut -d' ' -f1)" "$file"
done > "$work/manifest"
step=$(( rows / 1000 > 0 ? rows / 1000 : 1 )); bench=$(printf 'bench' | sha256sum | cut -d' ' -f1)
for i in $(seq 1 "$step" "$rows"); do
  url=$(fetch_url "$cache_port" "https://vendor$((i % 50)).example/pkg/$i/artifact-$i.tar.gz")
  printf 'seeded\t/%s\t5\t%s\n' "${url#http://*/}" "$bench"
done >> "$work/manifest"
for page in /admin/misses "/admin/misses?sort=count&filter=mirror7" "/admin/misses?offset=$(( rows * 9 / 10 ))" /admin/downloads \
            /admin/downloads/rows /admin/artifacts "/admin/artifacts?sort=hits&filter=vendor3" "/admin/artifacts?offset=$(( rows * 9 / 10 ))" /admin/add; do
  printf 'ui\t%s\n' "$page"
done >> "$work/manifest"

python3 bench/load.py --port "$cache_port" --pid "$server_pid" --db "$work/data/cache.db" --manifest "$work/manifest" \
  --origin "http://127.0.0.1:$origin_port" --md bench/results/load.md --duration "${DURATION:-60}" --warmup "${WARMUP:-5}" \
  --conns "${CONNS:-24}" --procs "${PROCS:-2}" --settle "${SETTLE:-30}" ${MIX:+--mix "$MIX"} > "$work/summary"
errors=$(grep -c -E ' (fail|crit): ' "$work/server.log" || true)
{ echo; echo "Server log: $errors line(s) at error or critical level."; } >> bench/results/load.md
if [ "$errors" -gt 0 ]; then { echo; echo '```'; grep -E ' (fail|crit): ' "$work/server.log" | head -n 10; echo '```'; } >> bench/results/load.md; fi
cat bench/results/load.md
# shellcheck disable=SC2046
declare $(cat "$work/summary")
pass_zero() { [ "$1" = 0 ] && echo PASS || echo FAIL; }
result load-rate "${rate}req/s(probe${rate_probe},get${rate_get},range${rate_range},miss${rate_miss},ui${rate_ui})" "-" INFO
result load-5xx "$n5xx" 0 "$(pass_zero "$n5xx")"
result load-checksum-failures "$checksum" 0 "$(pass_zero "$checksum")"
result load-unexpected "$((unexpected + conn_errors))" 0 "$(pass_zero "$((unexpected + conn_errors))")"
result load-rss-after "${after}MiB(base${baseline},peak${peak})" "<=${limit}MiB" "$(awk -v a="$after" -v l="$limit" 'BEGIN { print (a <= l) ? "PASS" : "FAIL" }')"
