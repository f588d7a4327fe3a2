#!/bin/sh
# Lets this machine run scythe's foreign builds (arm64, armv7, riscv64) as if
# they were native, through qemu-user-static and binfmt_misc: the tests then
# start them like any program. Safe to run again: it only adds what is
# missing. Needs root, and Debian's qemu-user-static.
set -eu
dir=/proc/sys/fs/binfmt_misc
[ -e "$dir/register" ] || mount -t binfmt_misc binfmt_misc "$dir"
for arch in aarch64 arm riscv64; do
  [ -e "$dir/qemu-$arch" ] && continue
  # The line is ":name:type:offset:magic:mask:interpreter:flags"; flag P keeps
  # argv[0] (scythe reads its name there), F lets it work in namespaces.
  grep -v '^#' "/usr/lib/binfmt.d/qemu-$arch.conf" > "$dir/register"
done
