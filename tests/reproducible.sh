#!/bin/sh
# make dist must be reproducible: built again from scratch, in a fresh target
# directory, it gives byte-identical files.
set -eu
cd "$(dirname "$0")/.."
[ -f dist/SHA256SUMS ] || make --no-print-directory dist >/dev/null
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp dist/SHA256SUMS "$scratch/first"
CARGO_TARGET_DIR="$scratch/target" make --no-print-directory dist >/dev/null
if cmp -s "$scratch/first" dist/SHA256SUMS; then
  echo "reproducible: $(wc -l < dist/SHA256SUMS) files, byte-identical"
else
  echo "make dist is NOT reproducible:"
  diff "$scratch/first" dist/SHA256SUMS
  exit 1
fi
