#!/bin/sh
# make demo: run demo/app.sh under scythe as PID 1 of a new PID namespace,
# then stop it the way `docker stop` does, with SIGTERM to PID 1.
set -eu
scythe=$(realpath "$1")
cd "$(dirname "$0")"
flags="--pid --fork --mount-proc"
[ "$(id -u)" = 0 ] || flags="--user --map-root-user $flags"

fifo=$(mktemp -u)
mkfifo "$fifo"
trap 'rm -f "$fifo"' EXIT
echo "\$ unshare $flags scythe -vv -- sh app.sh"
# shellcheck disable=SC2086
unshare $flags "$scythe" -vv -- sh app.sh >"$fifo" 2>&1 &
unshare_pid=$!
exec 3<"$fifo"

# Wait for the app and its worker to be ready (and the orphans to be gone).
ready=0
while [ "$ready" -lt 2 ] && read -r line <&3; do
  echo "  $line"
  case "$line" in *"] ready"|*"] running"*) ready=$((ready + 1)) ;; esac
done
scythe_pid=$(tr -d ' ' <"/proc/$unshare_pid/task/$unshare_pid/children")
zombies=0
for child in $(cat "/proc/$scythe_pid/task/$scythe_pid/children"); do
  grep -q '^State:.*Z' "/proc/$child/status" 2>/dev/null && zombies=$((zombies + 1))
done
echo "\$ # scythe is PID 1 inside, $scythe_pid outside; zombies among its children: $zombies"
echo "\$ kill -TERM $scythe_pid    # what docker stop / kubelet do"
kill -TERM "$scythe_pid"
while read -r line <&3; do
  echo "  $line"
done
status=0
wait "$unshare_pid" || status=$?
echo "\$ echo \$?"
echo "  $status    # the app's own status, passed through"
