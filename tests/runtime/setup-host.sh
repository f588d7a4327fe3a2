#!/bin/sh
# The host fixes this machine needs before podman or crun can start a
# container; safe to run again. Prints the containers.conf to export as
# CONTAINERS_CONF.
#
# - "crun: setrlimit RLIMIT_NOFILE: Operation not permitted": root here lacks
#   CAP_SYS_RESOURCE, and podman lowers its own NPROC to 32768; a private
#   containers.conf asks for limits within those.
# - "crun: cgroups in hybrid mode not supported": the unified hierarchy lists
#   hugetlb but no v1 hierarchy has it; mounting one settles crun. That
#   hierarchy outlives its mount (the tests mount it in a mount namespace of
#   their own) while podman's libpod_parent cgroup is left in it, and the
#   unified hierarchy then lists hugetlb no more: /proc/cgroups still names
#   the hierarchy, and it is mounted again (else podman would write its
#   cgroups as plain files into the tmpfs below).
set -eu
conf=${SCYTHE_CONTAINERS_CONF:-/tmp/scythe-containers.conf}
cat > "$conf.new" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
CONF
mv "$conf.new" "$conf"
unified=/sys/fs/cgroup/unified/cgroup.controllers
in_unified() { [ -f "$unified" ] && grep -qw hugetlb "$unified"; }
in_v1() { [ -f "$unified" ] && awk '$1 == "hugetlb" && $2 != 0 { found = 1 } END { exit !found }' /proc/cgroups; }
if { in_unified || in_v1; } && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
  mkdir -p /sys/fs/cgroup/hugetlb
  mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi
echo "$conf"
