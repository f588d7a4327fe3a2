#!/bin/sh
# Runs COMMAND with scythe's foreign builds (arm64, armv7, riscv64) runnable
# as if they were native, through qemu-user-static and binfmt_misc, then
# takes back what it added. Usage: with-qemu.sh COMMAND [ARG]...
#
# Needs root and Debian's qemu-user-static. Run it in a mount namespace of
# its own (`unshare --mount`, as `make arch-test` does) and its binfmt_misc
# mount ends with it; the registrations are the kernel's, not the mount's,
# so the ones made here are removed on the way out. Ones that were there
# already are used and left alone.
set -eu
dir=/proc/sys/fs/binfmt_misc
[ -e "$dir/register" ] || mount -t binfmt_misc binfmt_misc "$dir"
added=
cleanup() {
  for arch in $added; do
    echo -1 > "$dir/qemu-$arch"
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for arch in aarch64 arm riscv64; do
  [ -e "$dir/qemu-$arch" ] && continue
  # The line is ":name:type:offset:magic:mask:interpreter:flags"; flag P keeps
  # argv[0] (scythe reads its name there), F lets it work in namespaces.
  grep -v '^#' "/usr/lib/binfmt.d/qemu-$arch.conf" > "$dir/register"
  added="$added $arch"
done
"$@"
