#!/usr/bin/env bash
# Installs the Debian packages that build and run the image without a Docker engine: buildah
# (vfs storage, chroot isolation, so neither a daemon nor user namespaces are needed) and
# debootstrap for the locally made base image. Idempotent: does nothing when both are present.
set -euo pipefail
# shellcheck source=tools/harness/apt-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/../harness/apt-packages.sh"

PACKAGES=(buildah debootstrap)
mapfile -t missing < <(apt_missing "${PACKAGES[@]}")
if [ "${#missing[@]}" -eq 0 ]; then
  echo "ensure-image-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi
apt_require_root ensure-image-deps "${missing[@]}"
apt_install ensure-image-deps "${missing[@]}"
echo "ensure-image-deps: installed ${missing[*]}"
