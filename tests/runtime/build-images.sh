#!/bin/sh
# Builds the two OCI images from dist/: NAME (scythe alone, FROM scratch) and
# NAME-demo (scythe over the demo workload, with Debian's static busybox).
# Usage: [ENGINE=podman|docker] build-images.sh [NAME]   (default: localhost/scythe)
# ENGINE defaults to podman if it is installed, else docker; docker builds
# with the daemon DOCKER_HOST names (or the default one).
set -eu
cd "$(dirname "$0")/../.."
name=${1:-localhost/scythe}
engine=${ENGINE:-}
if [ -z "$engine" ]; then
  if command -v podman >/dev/null; then engine=podman; else engine=docker; fi
fi

# The platform's arguments, as BuildKit and podman set them; Docker's legacy
# builder (the one that needs no buildx) leaves them empty.
case "$(uname -m)" in
  x86_64) arch=amd64 variant= ;;
  aarch64) arch=arm64 variant= ;;
  armv7l) arch=arm variant=v7 ;;
  i?86) arch=386 variant= ;;
  *) arch=$(uname -m) variant= ;;
esac

# build FILE CONTEXT TAG, with either engine.
build() {
  case "$engine" in
    podman)
      podman build --quiet --layers=false --build-arg TARGETVARIANT="$variant" \
        --tag "$3" --file "$1" "$2" >/dev/null ;;
    docker)
      DOCKER_BUILDKIT=0 docker build --quiet --build-arg TARGETARCH="$arch" \
        --build-arg TARGETVARIANT="$variant" --tag "$3" --file "$1" "$2" >/dev/null ;;
    *)
      echo "build-images.sh: ENGINE must be podman or docker, not $engine" >&2
      exit 2 ;;
  esac
}

if [ "$engine" = podman ]; then
  CONTAINERS_CONF=$(sh tests/runtime/setup-host.sh)
  export CONTAINERS_CONF
fi
# .dockerignore keeps the context to dist/ (both engines read it).
build Containerfile . "$name"

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/bin" "$context/demo"
cp dist/scythe-amd64 "$context/scythe"
cp /bin/busybox "$context/bin/busybox"
for command in sh sleep ps cat echo kill true; do
  ln -s busybox "$context/bin/$command"
done
cp demo/app.sh "$context/demo/app.sh"
build Containerfile.demo "$context" "$name-demo"
echo "built $name and $name-demo with $engine"
