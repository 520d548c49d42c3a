#!/usr/bin/env bash
# Operator UI pages with 100,000 cached artifacts and 100,000 misses: median time of each page (and a filtered,
# sorted and a deep page) over RUNS requests, logged in. DESIGN.md target: each page <= 200 ms.
# The catalog is seeded with SQL (all artifact rows share one blob, as identical bytes would). Writes
# bench/results/ui-pages.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need sqlite3
runs=${RUNS:-20}
rows=${ROWS:-100000}
work=$(mktemp -d)
server_pid=""
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(free_port)
dotnet publish src/WithCache.Server -c Release -o "$work/server" --nologo -v quiet

# First start creates the schema; then seed.
start() { WITHCACHE_ADMIN_PASSWORD=bench "$work/server/withcache-server" --data-dir "$work/data" --port "$port" --bind 127.0.0.1 > "$work/server.log" 2>&1 & server_pid=$!;
          for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.2; done; echo "server did not start" >&2; exit 1; }
start; kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
seed_catalog "$work/data" "$rows" "$rows"
start
curl -s -c "$work/jar" -b "$work/jar" "http://127.0.0.1:$port/login" > "$work/login.html"
token=$(grep -o 'name="__RequestVerificationToken"[^>]*value="[^"]*"' "$work/login.html" | sed 's/.*value="//; s/"$//')
curl -s -o /dev/null -c "$work/jar" -b "$work/jar" --data-urlencode "password=bench" --data-urlencode "__RequestVerificationToken=$token" "http://127.0.0.1:$port/login"

pages=("/admin/misses" "/admin/misses?sort=count&filter=mirror7" "/admin/misses?offset=99000" "/admin/downloads" "/admin/artifacts" "/admin/artifacts?sort=hits&filter=vendor3" "/admin/artifacts?offset=99000" "/admin/add")
{
  echo "# Operator UI pages with $rows artifacts and $rows misses (bench/ui-pages.sh)"
  echo
  echo "Machine: $(nproc) cores. Median and max of $runs requests each (after 3 warm-ups), logged in, \`curl\` on loopback."
  echo
  echo "| page | status | median | max | target |"
  echo "|---|---|---|---|---|"
  for page in "${pages[@]}"; do
    for _ in 1 2 3; do curl -s -o /dev/null -b "$work/jar" "http://127.0.0.1:$port$page"; done
    status=$(curl -s -o /dev/null -w '%{http_code}' -b "$work/jar" "http://127.0.0.1:$port$page")
    times=$(for _ in $(seq 1 "$runs"); do curl -s -o /dev/null -w '%{time_total}\n' -b "$work/jar" "http://127.0.0.1:$port$page"; done | sort -n)
    median=$(echo "$times" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] * 1000}')
    max=$(echo "$times" | tail -n 1 | awk '{print $1 * 1000}')
    echo "| \`$page\` | $status | ${median} ms | ${max} ms | <= 200 ms |"
  done
} | tee bench/results/ui-pages.md
