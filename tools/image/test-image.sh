#!/usr/bin/env bash
# `npm run image:test`: builds the repository's Dockerfile without a Docker engine and runs the
# image (docs/deployment.md, "The image, tested"). Steps: install buildah and debootstrap; make
# the base image once (base-image.sh, cached); build the Dockerfile; then check-image.mjs
# inspects the image and runs the CLI, the migration and every service from it against an
# embedded PostgreSQL on loopback. Needs root and `npm run build` (the checks start PostgreSQL
# with libs/persistence/dist).
#
# Cache: ${WRITEBACK_CACHE_DIR:-~/.cache/writeback}/image holds buildah's storage (the base
# image and the last image built, localhost/writeback:test). Delete it to start over.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

if [ "$(id -u)" -ne 0 ]; then
  echo "image:test: must run as root (debootstrap, and buildah without user namespaces)" >&2
  exit 1
fi
if [ ! -f libs/persistence/dist/index.js ]; then
  echo "image:test: run \`npm run build\` first (the checks start PostgreSQL from libs/persistence/dist)" >&2
  exit 1
fi

# Node's exact release for the base image; the Dockerfile's default NODE_IMAGE must name the same
# minor line, so that the image tested here is the one a registry build makes.
export WRITEBACK_IMAGE_NODE_VERSION=20.20.2
export WRITEBACK_IMAGE_NPM_VERSION=10.8.2 # the npm that Node 20.20 bundles
default_base=$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)
case "$default_base" in
  "node:${WRITEBACK_IMAGE_NODE_VERSION%.*}-bookworm-slim") ;;
  *)
    echo "image:test: the Dockerfile's NODE_IMAGE ($default_base) is not node:${WRITEBACK_IMAGE_NODE_VERSION%.*}-bookworm-slim;" >&2
    echo "image:test: update WRITEBACK_IMAGE_NODE_VERSION in $0 with it" >&2
    exit 1
    ;;
esac

export WRITEBACK_IMAGE_DIR=${WRITEBACK_CACHE_DIR:-$HOME/.cache/writeback}/image
export WRITEBACK_IMAGE_RUNROOT=/run/writeback-image
mkdir -p "$WRITEBACK_IMAGE_DIR"
# One run at a time per cache: runs share the base image and the tag they build.
exec 9>"$WRITEBACK_IMAGE_DIR/lock"
if ! flock -n 9; then
  echo "image:test: another run holds $WRITEBACK_IMAGE_DIR/lock; waiting for it"
  flock 9
fi
# shellcheck source=tools/image/buildah.sh
source tools/image/buildah.sh

started=$SECONDS
step() { echo "image:test: [$((SECONDS - started)) s] $*"; }

step "system packages"
bash tools/image/ensure-image-deps.sh

base=localhost/node-local:$WRITEBACK_IMAGE_NODE_VERSION-bookworm-slim
step "base image $base"
bash tools/image/base-image.sh "$base"

image=localhost/writeback:test
step "building the Dockerfile as $image"
log=$WRITEBACK_IMAGE_DIR/build.log
if ! bh bud --isolation chroot --network host --layers=false --pull=false \
  --build-arg NODE_IMAGE="$base" -t "$image" -f Dockerfile . >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "image:test: the Dockerfile did not build (log: $log)" >&2
  exit 1
fi
# The image this run replaced, and any working container an interrupted run left.
bh rm --all >/dev/null
bh rmi --prune >/dev/null 2>&1 || true

step "checking $image"
node tools/image/check-image.mjs "$image"
