#!/usr/bin/env bash
# Installs schemathesis (API fuzzing from an OpenAPI document, from PyPI) into a virtualenv cached
# under ${WRITEBACK_CACHE_DIR:-$HOME/.cache/writeback}, and prints the path of its command.
# Idempotent: a second run finds the cached one. The version is pinned: a new one generates other
# cases and adds checks, a change to review rather than to pick up by accident.
set -euo pipefail
source "$(dirname "$0")/python-venv.sh"

VERSION=4.32.5
cache="${WRITEBACK_CACHE_DIR:-$HOME/.cache/writeback}"
venv="$cache/schemathesis-$VERSION"
ensure_python_venv schemathesis "$venv" "$venv/bin/schemathesis" --version -- "schemathesis==$VERSION"
