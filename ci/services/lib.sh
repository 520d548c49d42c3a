# Shared helpers for the ci/services scripts. Sourced, not run.
# shellcheck shell=bash

svc_now() { date +%s.%N; }
# svc_secs START [END]: seconds between two svc_now stamps, two decimals.
svc_secs() { awk -v a="$1" -v b="${2:-$(svc_now)}" 'BEGIN { printf "%.2f", b - a }'; }

svc_die() { echo "$SVC_NAME: error: $*" >&2; exit 1; }

# svc_require_empty_dir DIR: create DIR, or accept it only if it exists and is empty.
svc_require_empty_dir() {
  local d=$1
  if [ -e "$d" ]; then
    [ -d "$d" ] || svc_die "$d exists and is not a directory"
    [ -z "$(ls -A "$d")" ] || svc_die "$d is not empty; refusing to reuse it (run the matching down script and use a fresh directory)"
  else
    mkdir -p "$d"
  fi
}

# svc_alive PID: true while PID exists and is not a zombie. Daemons here get re-parented to a PID 1 that
# reaps late, so `kill -0` stays true for a dead process; the state letter in /proc/PID/stat does not.
svc_alive() {
  local stat state
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  state=${stat##*) }; state=${state%% *}
  [ "$state" != Z ] && [ "$state" != X ]
}

# svc_pid_of PIDFILE MARKER: the PID on the first line of PIDFILE if that process is alive and its command
# line contains MARKER (guards against a recycled PID); empty otherwise.
svc_pid_of() {
  local pidfile=$1 marker=$2 pid
  [ -s "$pidfile" ] || return 0
  pid=$(head -n 1 "$pidfile" | tr -dc 0-9)
  [ -n "$pid" ] || return 0
  svc_alive "$pid" || return 0
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 0
  echo "$pid"
}

# svc_stop_pid PID WHAT [GRACE_SECONDS]: SIGTERM, wait up to GRACE seconds, then SIGKILL and wait.
svc_stop_pid() {
  local pid=$1 what=$2 grace=${3:-10} i
  svc_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 20; i++)); do svc_alive "$pid" || return 0; sleep 0.05; done
  echo "$SVC_NAME: $what (pid $pid) ignored SIGTERM for ${grace}s, sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do svc_alive "$pid" || return 0; sleep 0.05; done
  echo "$SVC_NAME: $what (pid $pid) still alive after SIGKILL" >&2
  return 1
}

# svc_tail_logs FILE...: print the last lines of each existing log to stderr.
svc_tail_logs() {
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    echo "----- last 30 lines of $f -----" >&2
    tail -n 30 "$f" >&2
  done
}

# svc_port_free PORT: true if nothing listens on 127.0.0.1:PORT (or *:PORT).
svc_port_free() {
  ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}
