#!/bin/sh
# The demo's workload: a shell entrypoint, the kind that breaks without an
# init. It starts a worker that traps SIGTERM, leaves orphans behind (each
# becomes a zombie until PID 1 reaps it), then waits.
echo "[app $$] starting a worker and leaving 3 orphans behind"
sh -c 'trap "echo \"[worker \$\$] got SIGTERM, finishing the transaction\"; exit 0" TERM
       echo "[worker $$] running (grandchild of scythe, not its direct child)"
       while :; do sleep 60 & wait $!; done' &
for n in 1 2 3; do
  # The subshell exits at once: its `true` is re-parented to PID 1.
  ( true & )
done
trap 'echo "[app $$] got SIGTERM, waiting for the worker"; wait; exit 143' TERM
echo "[app $$] ready"
wait
