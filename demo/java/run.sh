#!/bin/sh
# Starts the service the way many images do: a shell script that sets things
# up and then runs java WITHOUT `exec`, so the shell stays, as java's parent.
# As PID 1, this shell drops the SIGTERM of `docker stop`: the JVM never sees it.
# Usage: run.sh [DIR]   (where the shutdown hook writes; default /out)
echo "[run.sh $$] starting the service"
java -XX:TieredStopAtLevel=1 -XX:-UsePerfData "${0%/*}/Main.java" "${1:-/out}"
