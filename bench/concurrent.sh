#!/usr/bin/env bash
# 32 concurrent clients (`curl -o /dev/null`, started together) each downloading one cached 256 MiB artifact,
# withcache-server next to nginx (sendfile on, worker_processes auto) serving the same file, interleaved,
# ROUNDS rounds each (median aggregate throughput = clients x size / wall time until the last one ends).
# DESIGN.md target 5: aggregate >= 1.0 x nginx; server peak RSS (VmHWM) <= 200 MiB. Every status and size checked.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need nginx
rounds=${ROUNDS:-3}
clients=${CLIENTS:-32}
size_mib=${SIZE_MIB:-256}
bytes=$((size_mib * 1048576))

work=$(mktemp -d); chmod 755 "$work"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/www" "$work/data"
head -c "$bytes" /dev/urandom > "$work/www/artifact.bin"; chmod 644 "$work/www/artifact.bin"
nginx_port=$(free_port); cache_port=$(free_port)
nginx_static "$work" auto "$nginx_port" "$work/www"
server_build "$work/server"
start_cache "$work/data" "$cache_port" --allow-private
fetch=$(fetch_url "$cache_port" "http://127.0.0.1:$nginx_port/artifact.bin")
wait_code "$fetch" 200 300 || { cat "$work/server.log" >&2; exit 1; }

burst() { # url -> prints the aggregate bytes/s; fails unless every client got 200 and every byte
  local start end i
  start=$(date +%s%N)
  for i in $(seq 1 "$clients"); do curl -s -o /dev/null -w '%{http_code} %{size_download}\n' "$1" > "$work/c$i" & done
  wait
  end=$(date +%s%N)
  for i in $(seq 1 "$clients"); do
    [ "$(cat "$work/c$i")" = "200 $bytes" ] || { echo "client $i on $1 got: $(cat "$work/c$i")" >&2; exit 1; }
  done
  awk -v b="$((clients * bytes))" -v ns="$((end - start))" 'BEGIN { printf "%.0f\n", b / (ns / 1e9) }'
}
curl -s -o /dev/null "http://127.0.0.1:$nginx_port/artifact.bin"  # warm the page cache for both
nginx=(); cache=()
for _ in $(seq 1 "$rounds"); do
  nginx+=("$(burst "http://127.0.0.1:$nginx_port/artifact.bin")")
  cache+=("$(burst "$fetch")")
done
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
python3 - "${nginx[*]}" "${cache[*]}" "$rss_kib" "$clients" "$size_mib" > "$work/summary" <<'PY'
import sys, statistics, os
n = [float(x) for x in sys.argv[1].split()]; c = [float(x) for x in sys.argv[2].split()]
rss, clients, size = int(sys.argv[3]) / 1024, sys.argv[4], sys.argv[5]
mn, mc = statistics.median(n), statistics.median(c); gib = 1024 ** 3
print(f"{mc/mn:.2f} {rss:.0f}")
print(f"# Concurrent clients (bench/concurrent.sh)\n\nMachine: {os.cpu_count()} cores. {clients} concurrent `curl -o /dev/null` on one {size} MiB "
      f"artifact, loopback, {len(n)} round(s) each, interleaved; every status and size checked.\n")
print("| server | median aggregate | runs (GiB/s) |\n|---|---|---|")
print(f"| nginx (sendfile on, worker_processes auto) | {mn/gib:.2f} GiB/s | {' '.join(f'{x/gib:.2f}' for x in n)} |")
print(f"| withcache-server | {mc/gib:.2f} GiB/s | {' '.join(f'{x/gib:.2f}' for x in c)} |")
print(f"\nRatio withcache / nginx: **{mc/mn:.2f}** (target >= 1.0). Server peak RSS (VmHWM): **{rss:.0f} MiB** (target <= 200 MiB).")
PY
tail -n +2 "$work/summary"
read -r ratio rss < <(head -1 "$work/summary")
result concurrent "${ratio}x" ">=1.0x" "$(awk -v r="$ratio" 'BEGIN { print (r >= 1.0) ? "PASS" : "FAIL" }')"
result concurrent-rss "${rss}MiB" "<=200MiB" "$(awk -v r="$rss" 'BEGIN { print (r <= 200) ? "PASS" : "FAIL" }')"
