#!/bin/sh
# The host fixes this machine needs before podman or crun can start a
# container; safe to run again. Prints the containers.conf to export as
# CONTAINERS_CONF.
#
# - "crun: setrlimit RLIMIT_NOFILE: Operation not permitted": root here lacks
#   CAP_SYS_RESOURCE, and podman lowers its own NPROC to 32768; a private
#   containers.conf asks for limits within those.
# - "crun: cgroups in hybrid mode not supported": the unified hierarchy lists
#   hugetlb but no v1 hierarchy has it; mounting one settles crun.
set -eu
conf=${SCYTHE_CONTAINERS_CONF:-/tmp/scythe-containers.conf}
cat > "$conf.new" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
CONF
mv "$conf.new" "$conf"
unified=/sys/fs/cgroup/unified/cgroup.controllers
if [ -f "$unified" ] && grep -qw hugetlb "$unified" && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
  mkdir -p /sys/fs/cgroup/hugetlb
  mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi
echo "$conf"
