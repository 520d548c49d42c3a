#!/usr/bin/env bash
# Small hits: a cached 16-byte artifact under `wrk -t2 -c8 -d15s` (GET on the fetch URL), withcache-server next
# to nginx (worker_processes 1, sendfile on) serving the same file, interleaved, ROUNDS rounds each (median).
# DESIGN.md target 8: withcache requests/s >= 0.5 x nginx. Every response's status and body size is checked.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need nginx wrk
rounds=${ROUNDS:-3}
duration=${DURATION:-15s}

work=$(mktemp -d); chmod 755 "$work"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/www" "$work/data"
head -c 16 /dev/urandom > "$work/www/small.bin"; chmod 644 "$work/www/small.bin"
nginx_port=$(free_port); cache_port=$(free_port)
nginx_static "$work" 1 "$nginx_port" "$work/www"
server_build "$work/server"
start_cache "$work/data" "$cache_port" --allow-private
fetch=$(fetch_url "$cache_port" "http://127.0.0.1:$nginx_port/small.bin")
wait_code "$fetch" 200 120 || { cat "$work/server.log" >&2; exit 1; }
echo "/small.bin" > "$work/nginx.paths"; echo "/${fetch#http://*/}" > "$work/cache.paths"
wrk_script "$work/nginx.lua" GET "$work/nginx.paths" 16
wrk_script "$work/cache.lua" GET "$work/cache.paths" 16

bench() { # name port
  wrk -t2 -c8 -d"$duration" -s "$work/$1.lua" "http://127.0.0.1:$2" > "$work/$1.out"
  local bad rps; bad=$(sed -n 's/^bad responses: //p' "$work/$1.out"); rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$1.out")
  [ "$bad" = 0 ] || { echo "$1: $bad bad responses" >&2; cat "$work/$1.out" >&2; exit 1; }
  echo "$rps"
}
rps_nginx=(); rps_cache=()
for _ in $(seq 1 "$rounds"); do
  rps_nginx+=("$(bench nginx "$nginx_port")")
  rps_cache+=("$(bench cache "$cache_port")")
done
python3 - "${rps_nginx[*]}" "${rps_cache[*]}" "$duration" > "$work/summary" <<'PY'
import sys, statistics, os
n = [float(x) for x in sys.argv[1].split()]; c = [float(x) for x in sys.argv[2].split()]
mn, mc = statistics.median(n), statistics.median(c)
print(f"{mc/mn:.2f}")
print(f"# Small hits (bench/small-hits.sh)\n\nMachine: {os.cpu_count()} cores. A 16-byte artifact, `wrk -t2 -c8 -d{sys.argv[3]}` GET, "
      f"{len(n)} round(s) each, interleaved; every response checked for 2xx and 16 bytes (zero bad).\n")
print("| server | median req/s | runs |\n|---|---|---|")
print(f"| nginx (1 worker, sendfile on) | {mn:.0f} | {' '.join(f'{x:.0f}' for x in n)} |")
print(f"| withcache-server | {mc:.0f} | {' '.join(f'{x:.0f}' for x in c)} |")
print(f"\nRatio withcache / nginx: **{mc/mn:.2f}** (target >= 0.5).")
PY
tail -n +2 "$work/summary"
ratio=$(head -1 "$work/summary")
result small-hits "${ratio}x" ">=0.5x" "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5) ? "PASS" : "FAIL" }')"
