#!/bin/sh
# Builds the two OCI images from dist/: NAME (scythe alone, FROM scratch) and
# NAME-demo (scythe over the demo workload, with Debian's static busybox).
# Usage: build-images.sh [NAME]   (default: localhost/scythe)
set -eu
cd "$(dirname "$0")/../.."
name=${1:-localhost/scythe}
CONTAINERS_CONF=$(sh tests/runtime/setup-host.sh)
export CONTAINERS_CONF
podman build --quiet --layers=false --build-arg TARGETVARIANT= --tag "$name" --file Containerfile . >/dev/null

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/bin" "$context/demo"
cp dist/scythe-amd64 "$context/scythe"
cp /bin/busybox "$context/bin/busybox"
for command in sh sleep ps cat echo kill true; do
  ln -s busybox "$context/bin/$command"
done
cp demo/app.sh "$context/demo/app.sh"
podman build --quiet --layers=false --tag "$name-demo" --file Containerfile.demo "$context" >/dev/null
echo "built $name and $name-demo"
