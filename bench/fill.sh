#!/usr/bin/env bash
# Fill: a 1 GiB file from a loopback origin (nginx, sendfile on). withcache-server (--allow-private, a fresh data
# dir per run): time from the first miss (a HEAD on the fetch URL) until the fetch URL answers 200 with the full
# Content-Length (HEAD polled every POLL seconds); reference: `curl -o <file in the same temp dir>` from the
# same origin. Interleaved, RUNS runs each, median. DESIGN.md target 6: fill speed >= 0.8 x curl -o.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need nginx
runs=${RUNS:-3}
size_mib=${SIZE_MIB:-1024}
poll=${POLL:-0.01}
bytes=$((size_mib * 1048576))

work=$(mktemp -d); chmod 755 "$work"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/www"
head -c "$bytes" /dev/urandom > "$work/www/artifact.bin"; chmod 644 "$work/www/artifact.bin"
origin_port=$(free_port)
nginx_static "$work" 1 "$origin_port" "$work/www"
server_build "$work/server"
origin="http://127.0.0.1:$origin_port/artifact.bin"

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
fill_once() { # -> milliseconds from the first miss to a 200
  local data="$work/data" port code start head
  rm -rf "$data"; mkdir -p "$data"; port=$(free_port)
  start_cache "$data" "$port" --allow-private
  wait_code "http://127.0.0.1:$port/healthz" 200 60 >&2 || { cat "$work/server.log" >&2; exit 1; }
  local fetch; fetch=$(fetch_url "$port" "$origin")
  start=$(date +%s%N)
  code=$(curl -s -I -o /dev/null -w '%{http_code}' "$fetch")
  [ "$code" = 404 ] || { echo "the first HEAD answered $code, not a 404 miss" >&2; exit 1; }
  for _ in $(seq 1 100000); do
    code=$(curl -s -I -o /dev/null -w '%{http_code}' "$fetch" || true)
    [ "$code" = 200 ] && break
    sleep "$poll"
  done
  local took; took=$(ms_since "$start")
  head=$(curl -s -I "$fetch" | tr -d '\r' | awk 'tolower($1) == "content-length:" {print $2}')
  [ "$code" = 200 ] && [ "$head" = "$bytes" ] || { echo "fill ended with $code, Content-Length $head" >&2; exit 1; }
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  echo "$took"
}
curl_once() {
  local start out; rm -f "$work/copy.bin"
  start=$(date +%s%N)
  out=$(curl -s -o "$work/copy.bin" -w '%{http_code} %{size_download}' "$origin")
  local took; took=$(ms_since "$start")
  [ "$out" = "200 $bytes" ] || { echo "curl -o got $out" >&2; exit 1; }
  rm -f "$work/copy.bin"; echo "$took"
}
curl -s -o /dev/null "$origin"  # warm the origin's page cache
ref=(); fill=()
for _ in $(seq 1 "$runs"); do
  ref+=("$(curl_once)")
  fill+=("$(fill_once)")
done
python3 - "${ref[*]}" "${fill[*]}" "$size_mib" "$poll" > "$work/summary" <<'PY'
import sys, statistics, os
r = [int(x) for x in sys.argv[1].split()]; f = [int(x) for x in sys.argv[2].split()]
mr, mf = statistics.median(r), statistics.median(f)
print(f"{mr/mf:.2f}")
print(f"# Fill from a loopback origin (bench/fill.sh)\n\nMachine: {os.cpu_count()} cores. A {sys.argv[3]} MiB file from nginx on loopback, "
      f"{len(r)} runs each, interleaved, a fresh data dir per fill; fill time = first HEAD miss until HEAD answers 200 "
      f"(polled every {sys.argv[4]} s; Content-Length checked).\n")
print("| command | median | runs (ms) |\n|---|---|---|")
print(f"| `curl -o` (same disk) | {mr} ms | {' '.join(map(str, r))} |")
print(f"| withcache-server fill | {mf} ms | {' '.join(map(str, f))} |")
print(f"\nRatio (curl time / fill time): **{mr/mf:.2f}** (target >= 0.8).")
PY
tail -n +2 "$work/summary"
ratio=$(head -1 "$work/summary")
result fill "${ratio}x" ">=0.8x" "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.8) ? "PASS" : "FAIL" }')"
