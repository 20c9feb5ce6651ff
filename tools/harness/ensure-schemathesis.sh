#!/usr/bin/env bash
# Installs schemathesis (API fuzzing from an OpenAPI document, from PyPI) into a virtualenv cached
# under ${WRITEBACK_CACHE_DIR:-$HOME/.cache/writeback}, and prints the path of its command.
# Idempotent: a second run finds the cached one. The version is pinned: a new one generates other
# cases and adds checks, a change to review rather than to pick up by accident.
set -euo pipefail

VERSION=4.32.5
cache="${WRITEBACK_CACHE_DIR:-$HOME/.cache/writeback}"
venv="$cache/schemathesis-$VERSION"
command="$venv/bin/schemathesis"
# Written last: a venv without it is an interrupted install (a venv cannot be built aside and
# moved into place, its scripts name their own path).
done_marker="$venv/.installed"

if [ -f "$done_marker" ] && [ -x "$command" ]; then
  echo "$command"
  exit 0
fi

mkdir -p "$cache"
rm -rf "$venv"
log=$(mktemp /tmp/ensure-schemathesis.XXXXXX.log)
if ! { python3 -m venv "$venv" &&
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" &&
  "$command" --version; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "ensure-schemathesis: installing schemathesis $VERSION from PyPI into $venv failed (log: $log)" >&2
  exit 1
fi
rm -f "$log"
touch "$done_marker"
echo "$command"
