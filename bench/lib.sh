# Shared by the bench scripts: source it.

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Installs the Debian packages named when their command is missing (hyperfine, nginx, sqlite3...).
need() {
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if [ ${#missing[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; fi
}

# Appends a machine-readable line `RESULT name measured target PASS|FAIL` to the file named by $BENCH_RESULTS
# (set by bench/run-all) and prints it. measured and target are single words, e.g. 1.42x and >=1.3x.
result() {
  local line="RESULT $1 $2 $3 $4"
  echo "$line"
  if [ -n "${BENCH_RESULTS:-}" ]; then echo "$line" >> "$BENCH_RESULTS"; fi
}

# Publishes withcache-server into DIR, or copies the build named by $WITHCACHE_SERVER_BUILD (a publish dir
# that bench/run-all makes once) when set.
server_build() {
  if [ -n "${WITHCACHE_SERVER_BUILD:-}" ] && [ -x "$WITHCACHE_SERVER_BUILD/withcache-server" ]; then
    cp -r "$WITHCACHE_SERVER_BUILD" "$1"
  else
    dotnet publish src/WithCache.Server -c Release -o "$1" --nologo -v quiet
  fi
}

# The fetch URL on the cache at 127.0.0.1:PORT for ORIGIN: /b/<base64url(origin), unpadded>/<last path segment>.
fetch_url() { # port origin
  local token; token=$(printf '%s' "$2" | base64 -w0 | tr '+/' '-_' | tr -d '=')
  echo "http://127.0.0.1:$1/b/$token/${2##*/}"
}

# Waits until URL answers CODE (default 200) to GET, up to SECONDS (default 300). Returns 1 on time-out.
wait_code() { # url [code] [seconds]
  local code="" deadline=$(( $(date +%s) + ${3:-300} ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)
    [ "$code" = "${2:-200}" ] && return 0
    sleep 0.2
  done
  echo "wait_code: $1 answered $code, not ${2:-200}" >&2; return 1
}

# Writes a wrk Lua script to FILE that sends METHOD to each of the paths in PATHS_FILE (one a line) in turn
# (a thread-local rotation), counts responses that are not 2xx or, for GET with EXPECT_BYTES set, whose body
# is not that many bytes, and prints `bad responses: N` when done.
wrk_script() { # file method paths_file [expect_bytes]
  {
    echo "local paths = {"
    sed 's/.*/  "&",/' "$3"
    echo "}"
    cat <<LUA
local method, expect = "$2", ${4:-nil}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; i = math.random(#paths) end
function request()
  i = i % #paths + 1
  return wrk.format(method, paths[i])
end
function response(status, headers, body)
  if status < 200 or status > 299 or (expect ~= nil and method == "GET" and #body ~= expect) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("bad responses: %d\n", total))
end
LUA
  } > "$1"
}

# Latency percentile line of `wrk --latency` output (e.g. "99%") in milliseconds.
wrk_ms() { # output_file percent
  awk -v p="$2" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 } else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 } exit }' "$1"
}

# Starts nginx serving ROOT on 127.0.0.1:PORT (sendfile on, WORKERS worker processes); its pid file is
# WORK/nginx.pid, which the scripts' cleanup kills. EXTRA, when given, is added inside the server block.
nginx_static() { # work workers port root [extra]
  cat > "$1/nginx.conf" <<CONF
worker_processes $2;
pid $1/nginx.pid;
error_log $1/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  server { listen 127.0.0.1:$3; root $4; ${5:-} }
}
CONF
  nginx -c "$1/nginx.conf"
}

# Starts the published server from $work/server on 127.0.0.1:PORT over DATA in the background (server_pid is
# set for the cleanup); further arguments are passed on. Its log is $work/server.log.
start_cache() { # data port [args...]
  "$work/server/withcache-server" --data-dir "$1" --port "$2" --bind 127.0.0.1 "${@:3}" > "$work/server.log" 2>&1 &
  server_pid=$!
}

# Seeds the catalog DATA/cache.db (made by a first start of the server, which is stopped now) with ROWS artifacts
# that all share one 5-byte blob ("bench", as identical bytes would), keyed
# https://vendor<i % 50>.example/pkg/<i>/artifact-<i>.tar.gz, and MISSES (default 0) missed keys
# https://mirror<i % 50>.example/missing/<i>.run.
seed_catalog() { # data rows [misses]
  local digest; digest=$(printf 'bench' | sha256sum | cut -d' ' -f1)
  mkdir -p "$1/blobs/sha256/${digest:0:2}/${digest:2:2}"; printf 'bench' > "$1/blobs/sha256/${digest:0:2}/${digest:2:2}/$digest"
  sqlite3 "$1/cache.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO artifacts(key, origin, digest, size, fetched_at, hits, misses_before)
SELECT 'https://vendor' || (i % 50) || '.example/pkg/' || i || '/artifact-' || i || '.tar.gz', 'https://vendor' || (i % 50) || '.example/pkg/' || i || '/artifact-' || i || '.tar.gz',
       '$digest', 5, 1790000000000 + i * 1000, i % 977, i % 13 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${3:-0})
INSERT INTO misses(key, origin, count, first_seen, last_seen)
SELECT 'https://mirror' || (i % 50) || '.example/missing/' || i || '.run', 'https://mirror' || (i % 50) || '.example/missing/' || i || '.run',
       1 + i % 31, 1790000000000 + i * 1000, 1790000000000 + i * 2000 FROM n WHERE ${3:-0} > 0;
SQL
}
