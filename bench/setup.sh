#!/bin/sh
# What make bench needs and a fresh machine may lack: the other inits, from
# Debian (tini ships both /usr/bin/tini and /usr/bin/tini-static), and valgrind.
set -eu
missing=""
for need in /usr/bin/tini:tini /usr/bin/tini-static:tini /usr/bin/dumb-init:dumb-init \
            /usr/bin/catatonit:catatonit /usr/bin/valgrind:valgrind; do
  [ -x "${need%%:*}" ] || missing="$missing ${need#*:}"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi
