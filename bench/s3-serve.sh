#!/usr/bin/env bash
# A cached 1 GiB artifact served over loopback to one client (`curl -o /dev/null`) from the two blob backends, in
# one run: the local folder (SQLite catalog) next to S3 (Ceph radosgw, bluestore, with the PostgreSQL catalog),
# streamed through the cache-host and, with --s3-redirect, fetched by the client straight from radosgw (curl -L).
# Median of RUNS transfers each, interleaved. No target in DESIGN.md: issue 9 asks for the figures side by side.
# Starts its own throwaway engines with ci/services/up.sh (root, Debian). Writes bench/results/s3-serve.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need nginx
runs=${RUNS:-7}
size_mib=${SIZE_MIB:-1024}
store=${STORE:-bluestore}

work=$(mktemp -d); chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  bash ci/services/down.sh "$work/engines" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

PGPORT=${PGPORT:-25433} MONPORT=${MONPORT:-26790} RGWPORT=${RGWPORT:-27481} bash ci/services/up.sh "$work/engines" "$store" >/dev/null
set -a; . "$work/engines/pg/pg.env"; . "$work/engines/ceph/s3.env"; set +a
curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
  -X PUT "$AWS_ENDPOINT_URL_S3/bench" -o /dev/null

mkdir -p "$work/www" "$work/local" "$work/s3" "$work/redirect"
head -c $((size_mib * 1048576)) /dev/urandom > "$work/www/artifact.bin"
origin_port=$(free_port); local_port=$(free_port); s3_port=$(free_port); redirect_port=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 256; }
http { access_log off; sendfile on; server { listen 127.0.0.1:$origin_port; root $work/www; } }
CONF
nginx -c "$work/nginx.conf"
server_build "$work/server"
start() { # name port extra-args...
  local name=$1 port=$2; shift 2
  WITHCACHE_ALLOW_PRIVATE=1 "$work/server/withcache-server" --data-dir "$work/$name" --port "$port" --bind 127.0.0.1 "$@" \
    > "$work/$name.log" 2>&1 &
  pids+=($!)
}
start local "$local_port"
start s3 "$s3_port" --catalog "$WITHCACHE_TEST_PG" --blobs s3://bench/withcache/
start redirect "$redirect_port" --catalog "$WITHCACHE_TEST_PG" --blobs s3://bench/withcache/ --s3-redirect
origin="http://127.0.0.1:$origin_port/artifact.bin"
for port in "$local_port" "$s3_port" "$redirect_port"; do wait_code "http://127.0.0.1:$port/healthz" 200 60; done
wait_code "$(fetch_url "$local_port" "$origin")" 200 300
wait_code "$(fetch_url "$s3_port" "$origin")" 200 300
wait_code "$(fetch_url "$redirect_port" "$origin")" 302 60

transfer() { # url [curl options]: speed in bytes/s; a wrong status or size ends the run
  local url=$1 out; shift
  out=$(curl -s "$@" -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' "$url")
  set -- $out
  [ "$1 $2" = "200 $((size_mib * 1048576))" ] || { echo "bad transfer of $url: status $1, $2 bytes" >&2; exit 1; }
  echo "$3"
}
local_speeds=(); s3_speeds=(); redirect_speeds=()
for _ in $(seq 1 "$runs"); do
  local_speeds+=("$(transfer "$(fetch_url "$local_port" "$origin")")")
  s3_speeds+=("$(transfer "$(fetch_url "$s3_port" "$origin")")")
  redirect_speeds+=("$(transfer "$(fetch_url "$redirect_port" "$origin")" -L)")
done
s3_rss=$(awk '/VmHWM/ {print $2}' "/proc/${pids[1]}/status")
python3 - "$size_mib" "$store" "$s3_rss" "${local_speeds[*]}" "${s3_speeds[*]}" "${redirect_speeds[*]}" <<'PY' | tee bench/results/s3-serve.md
import sys, statistics, os, platform
size, store, rss = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rows = [("local folder (SQLite catalog)", sys.argv[4]), ("S3, streamed by the cache-host (PostgreSQL catalog)", sys.argv[5]),
        ("S3, --s3-redirect (curl -L straight from radosgw)", sys.argv[6])]
gib = 1024 ** 3
print("# A 1 GiB hit from each blob backend (bench/s3-serve.sh)\n")
print(f"Machine: {os.cpu_count()} cores, {platform.platform()}. Artifact: {size} MiB, one client (`curl -o /dev/null`), loopback; "
      f"Ceph 16 radosgw on {store}, one OSD; {len(sys.argv[4].split())} runs each, interleaved.\n")
print("| backend | median | runs (GiB/s) |")
print("|---|---|---|")
medians = []
for name, text in rows:
    speeds = [float(x) for x in text.split()]
    medians.append(statistics.median(speeds))
    print(f"| {name} | {medians[-1]/gib:.2f} GiB/s | {' '.join(f'{x/gib:.2f}' for x in speeds)} |")
print(f"\nS3 streamed / local folder: **{medians[1]/medians[0]:.2f}**; S3 redirect / local folder: **{medians[2]/medians[0]:.2f}**. "
      f"Peak RSS of the S3 cache-host: {rss/1024:.0f} MiB.")
PY
