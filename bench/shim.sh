#!/usr/bin/env bash
# Shim latency against DESIGN.md's targets, in one run on this machine: the real curl and the shim run
# alternately (bench/alternate.py), and 'added' is the median of the paired differences:
#   no WITHCACHE_SERVER: shim vs the real curl                          target: adds <= 4 ms
#   hit (1 MiB):         shim vs the real curl fetching the fetch URL   target: adds <= 5 ms
#   cache refused:       shim vs the real curl                          target: adds <= 6 ms
#   cache silent:        shim vs the real curl                          target: adds <= 600 ms
# The cache-host is stood in for by nginx answering every /b/ path with the artifact (the shim only needs a
# 200 to a HEAD and then the bytes); the origin is the same nginx. Writes bench/results/shim.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need nginx
runs=${RUNS:-300}

dotnet publish src/WithCache.Shim -c Release -r linux-x64 -o artifacts/shim --nologo -v quiet
shim=$(pwd)/artifacts/shim/withcache-shim
work=$(mktemp -d); chmod 755 "$work"
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null; kill "$silent_pid" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/www/files" "$work/bin"
head -c 1048576 /dev/urandom > "$work/www/files/artifact.bin"
cp "$work/www/files/artifact.bin" "$work/www/cached.bin"
ln -s "$shim" "$work/bin/curl"
port=$(free_port)
refused=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
    location /b/ { try_files /cached.bin =404; }
  }
}
CONF
nginx -c "$work/nginx.conf"
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4096)
print(s.getsockname()[1], flush=True)
time.sleep(3600)' > "$work/silent.port" &
silent_pid=$!
sleep 0.5
silent=$(cat "$work/silent.port")

origin="http://127.0.0.1:$port/files/artifact.bin"
server="http://127.0.0.1:$port"
fetch=$(WITHCACHE_SERVER=$server WITHCACHE_DEBUG=1 "$work/bin/curl" -s -o /dev/null "$origin" 2>&1 | sed -n 's/^withcache-shim: hit: //p')
[ -n "$fetch" ] || { echo "the shim did not report a hit" >&2; exit 1; }
real=$(command -v curl)

run() { # name, reference command, shim command: alternated run by run (ABBA), paired differences
  python3 bench/alternate.py "$runs" 20 "$2" "$3" > "$work/$1.json"
}
run none    "env $real -s -o /dev/null $origin" "env $work/bin/curl -s -o /dev/null $origin"
run hit     "env WITHCACHE_SERVER=$server $real -s -o /dev/null $fetch" "env WITHCACHE_SERVER=$server $work/bin/curl -s -o /dev/null $origin"
run refused "env WITHCACHE_SERVER=127.0.0.1:$refused $real -s -o /dev/null $origin" "env WITHCACHE_SERVER=127.0.0.1:$refused $work/bin/curl -s -o /dev/null $origin"
RUNS_SILENT=$(( runs < 20 ? runs : 20 ))
python3 bench/alternate.py "$RUNS_SILENT" 2 \
  "env WITHCACHE_SERVER=127.0.0.1:$silent $real -s -o /dev/null $origin" \
  "env WITHCACHE_SERVER=127.0.0.1:$silent $work/bin/curl -s -o /dev/null $origin" > "$work/silent.json"

size=$(stat -c %s "$shim")
python3 - "$work" "$size" <<'PY' | tee bench/results/shim.md
import json, sys, platform, os
work, size = sys.argv[1], int(sys.argv[2])
targets = {"none": ("no WITHCACHE_SERVER", 4), "hit": ("hit, 1 MiB", 5), "refused": ("cache refused", 6), "silent": ("cache silent", 600)}
print("# Shim latency (bench/shim.sh)\n")
print(f"Machine: {os.cpu_count()} cores, {platform.platform()}. Shim binary: {size/1048576:.2f} MiB.\n")
print("| case | real curl median | shim median | added | target | met |")
print("|---|---|---|---|---|---|")
spreads = []
for key, (label, target) in targets.items():
    r = json.load(open(f"{work}/{key}.json"))
    ref, shim, added = r["reference"]["median"], r["candidate"]["median"], r["added"]["median"]
    spreads.append(f"{label}: added {added:+.2f} ms, quartiles {r['added']['q1']:+.2f} .. {r['added']['q3']:+.2f} ms over {r['runs']} pairs")
    print(f"| {label} | {ref:.2f} ms | {shim:.2f} ms | {added:+.2f} ms | <= {target} ms | {'yes' if added <= target else 'NO'} |")
print("\n'added' is the median of paired differences: the two commands run back to back, alternating which goes first.")
for line in spreads:
    print(f"- {line}")
PY
