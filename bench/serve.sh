#!/usr/bin/env bash
# Serving a cached 1 GiB artifact over loopback to one client, `curl -o /dev/null`, withcache-server next to
# nginx (sendfile on) serving the same file, in one run. Median of RUNS transfers each, interleaved.
# DESIGN.md target: withcache >= 1.3 x nginx. Writes bench/results/serve.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need nginx
runs=${RUNS:-11}
size_mib=${SIZE_MIB:-1024}

work=$(mktemp -d); chmod 755 "$work"
cleanup() { kill "$server_pid" 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"; }
server_pid=""
trap cleanup EXIT

mkdir -p "$work/www" "$work/data"
head -c $((size_mib * 1048576)) /dev/urandom > "$work/www/artifact.bin"
origin_port=$(free_port); nginx_port=$(free_port); cache_port=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
  server { listen 127.0.0.1:$origin_port; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf"

server_build "$work/server"
WITHCACHE_ALLOW_PRIVATE=1 "$work/server/withcache-server" --data-dir "$work/data" --port "$cache_port" --bind 127.0.0.1 \
  > "$work/server.log" 2>&1 &
server_pid=$!
origin="http://127.0.0.1:$origin_port/artifact.bin"
token=$(printf '%s' "$origin" | base64 -w0 | tr '+/' '-_' | tr -d '=')
fetch="http://127.0.0.1:$cache_port/b/$token/artifact.bin"
for _ in $(seq 1 600); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$fetch" || true)
  [ "$code" = 200 ] && break
  sleep 0.5
done
[ "$code" = 200 ] || { echo "the cache never served the artifact" >&2; cat "$work/server.log" >&2; exit 1; }

# One transfer; its speed in bytes/s. A response of the wrong status or size ends the run (a 403 is fast too).
transfer() {
  local out; out=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' "$1")
  set -- $out
  [ "$1 $2" = "200 $((size_mib * 1048576))" ] || { echo "bad transfer: status $1, $2 bytes" >&2; exit 1; }
  echo "$3"
}
speeds_nginx=(); speeds_cache=()
for _ in $(seq 1 "$runs"); do
  speeds_nginx+=("$(transfer "http://127.0.0.1:$nginx_port/artifact.bin")")
  speeds_cache+=("$(transfer "$fetch")")
done
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
python3 - "$size_mib" "$rss_kib" "${speeds_nginx[*]}" "${speeds_cache[*]}" <<'PY' | tee bench/results/serve.md
import sys, statistics, os, platform
size, rss = int(sys.argv[1]), int(sys.argv[2])
nginx = [float(x) for x in sys.argv[3].split()]
cache = [float(x) for x in sys.argv[4].split()]
gib = 1024 ** 3
n, c = statistics.median(nginx), statistics.median(cache)
print("# Serving a cached artifact (bench/serve.sh)\n")
print(f"Machine: {os.cpu_count()} cores, {platform.platform()}. Artifact: {size} MiB, one client (`curl -o /dev/null`), loopback, {len(nginx)} runs each, interleaved.\n")
print("| server | median | runs (GiB/s) |")
print("|---|---|---|")
print(f"| nginx (sendfile on) | {n/gib:.2f} GiB/s | {' '.join(f'{x/gib:.2f}' for x in nginx)} |")
print(f"| withcache-server | {c/gib:.2f} GiB/s | {' '.join(f'{x/gib:.2f}' for x in cache)} |")
print(f"\nRatio withcache / nginx: **{c/n:.2f}** (target >= 1.3). Server peak RSS: {rss/1024:.0f} MiB.")
PY
