#!/bin/sh
# make demo-java: the classic Java service (run.sh starts `java Main.java`
# without `exec`; its shutdown hook needs 1.5 s) stopped as `docker stop`
# stops a container, SIGTERM to PID 1 and SIGKILL when the timeout (10 s)
# has run out, under three PID 1s: no init (sh), an init that exits as soon
# as its child does (scythe as docker-init, tini's conventions), and scythe
# under its own name. Each is PID 1 of a new PID namespace, as in a container.
# Usage: demo.sh SCYTHE   (STOP_TIMEOUT=N changes the 10 s)
set -eu
scythe=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
timeout=${STOP_TIMEOUT:-10}
flags="--pid --fork --mount-proc"
[ "$(id -u)" = 0 ] || flags="--user --map-root-user $flags"
command -v java >/dev/null || { echo "no java: apt-get install openjdk-17-jre-headless" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$scythe" "$work/docker-init"
summary="$work/summary"

now() { date +%s%N; }

# stop_service TITLE KEY [INIT...]: runs INIT sh run.sh as PID 1, waits until
# the service is ready, then stops it as docker stop -t $timeout would.
stop_service() {
  title=$1 key=$2
  shift 2
  out="$work/$key"
  mkdir -p "$out"
  mkfifo "$out/log"
  echo "== $title"
  shown=$(echo "$* " | sed "s|$work/||; s|$scythe|scythe|")
  echo "\$ unshare $flags ${shown# }sh run.sh"
  # shellcheck disable=SC2086
  unshare $flags "$@" sh "$here/run.sh" "$out" >"$out/log" 2>&1 &
  outer=$!
  exec 3<"$out/log"
  while read -r line <&3; do
    echo "    $line"
    case "$line" in *"[java] ready"*) break ;; esac
  done
  # unshare re-raises its child's fatal signal on itself; SIGKILL it cannot,
  # and says so: not the service's output.
  (while read -r line; do
    case "$line" in "unshare: sigprocmask"*) continue ;; esac
    echo "    $line"
  done <&3) &
  reader=$!
  pid1=$(cat "/proc/$outer/task/$outer/children")
  echo "\$ kill -TERM $pid1    # docker stop: SIGTERM to PID 1, SIGKILL ${timeout} s later"
  start=$(now)
  kill -TERM "$pid1"
  deadline=$((start + timeout * 1000000000))
  killed=""
  # unshare has exited once it is a zombie (its parent, this shell, reaps
  # it at the wait below).
  while [ "$(cut -d' ' -f3 "/proc/$outer/stat" 2>/dev/null || echo Z)" != Z ]; do
    if [ "$(now)" -ge "$deadline" ]; then
      echo "\$ kill -KILL $pid1    # the timeout has run out"
      kill -KILL "$pid1" 2>/dev/null || true
      killed=" (SIGKILL at the timeout)"
      break
    fi
    sleep 0.05
  done
  status=0
  wait "$outer" || status=$?
  # 128+9, as Docker reports a container it SIGKILLed (unshare cannot).
  [ -z "$killed" ] || status=137
  took=$(( ($(now) - start) / 10000000 ))
  wait "$reader" || true
  exec 3<&-
  if [ -e "$out/hook-done" ]; then hook=completed
  elif [ -e "$out/hook-started" ]; then hook="killed mid-hook"
  else hook="never ran"; fi
  seconds=$(printf '%d.%02d' $((took / 100)) $((took % 100)))
  echo "  stopped after $seconds s$killed, exit $status, shutdown hook: $hook"
  echo
  printf '%-34s %8s s %6s   %s\n' "$title" "$seconds" "$status" "$hook" >>"$summary"
}

stop_service "no init (sh is PID 1)" bare
stop_service "docker-init (tini's conventions)" init "$work/docker-init" --
stop_service "scythe" scythe "$scythe" --

printf '%-34s %10s %6s   %s\n' "PID 1" "stop took" "exit" "shutdown hook"
cat "$summary"
