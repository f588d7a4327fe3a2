#!/bin/sh
# scythe has no reachable panic: the compiler proved every index and slice
# in bounds, so none of core's panic machinery is left in the binary (nor the
# panic handler, which nothing calls). Checked on an unstripped release build
# of every architecture. The one exception is rustix's own vDSO lookup,
# which 32-bit x86 needs (see README): a panic call site anywhere else fails.
set -eu
cd "$(dirname "$0")/.."
out=${CARGO_TARGET_DIR:-target}/no-panic
status=0
for triple in x86_64-unknown-linux-musl aarch64-unknown-linux-musl i686-unknown-linux-musl \
              armv7-unknown-linux-gnueabihf riscv64gc-unknown-linux-gnu; do
  CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
    cargo build --quiet --release --target "$triple" --target-dir "$out" --bin scythe 2>/dev/null
  binary="$out/$triple/release/scythe"
  targets=$(nm "$binary" | grep -iE 'panic|index_fail|assert_failed|unwrap_failed|expect_failed' \
    | awk '{sub(/^0+/, "", $1); print $1}' | sort -u)
  words=$(strings "$binary" | grep -iE 'panicked|out of bounds|called .Option::unwrap' || true)
  sites=""
  for target in $targets; do
    sites="$sites $(objdump -d --no-show-raw-insn "$binary" | grep -E "[[:space:]]$target <" \
      | awk '{sub(/:$/, "", $1); print $1}')"
  done
  outside=""
  for site in $sites; do
    # Every source line the call site inlines from must be core's own (the
    # panic functions calling one another) or rustix's vDSO lookup.
    origin=$(addr2line -i -e "$binary" "$site" \
      | grep -vE '/library/core/|rustix-[^/]*/src/backend/linux_raw/vdso' || true)
    [ -z "$origin" ] || outside="$outside\n  $site: $origin"
  done
  if [ -n "$outside$words" ]; then
    printf '%s: reachable panics:%b\n%s\n' "$triple" "$outside" "$words"
    status=1
  elif [ -n "$sites" ]; then
    echo "$triple: no panic in scythe's code (rustix's vDSO lookup has its own)"
  else
    echo "$triple: no panic machinery at all"
  fi
done
exit $status
