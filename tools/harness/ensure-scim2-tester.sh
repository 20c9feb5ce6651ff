#!/usr/bin/env bash
# Installs scim2-tester (SCIM server compliance checks, from PyPI) with scim2-client's httpx2 engine
# into a virtualenv cached under ${WRITEBACK_CACHE_DIR:-$HOME/.cache/writeback}, and prints the path
# of its python, which runs tools/scim/check.py. Idempotent: a second run finds the cached one.
# scim2-tester and every package it pulls in are pinned: a new scim2-tester adds checks and tags, and
# a new scim2-client or scim2-models validates the server's payloads otherwise, changes to review
# rather than to pick up by accident (check.py also refuses a tag it was not told about).
set -euo pipefail
source "$(dirname "$0")/python-venv.sh"

VERSION=0.5.2
# `pip freeze` of a clean install of scim2-tester[httpx2]==$VERSION; scim2-client 0.10 and later
# send their requests with httpx2 (not httpx).
PINS="annotated-types==0.8.0
anyio==4.16.0
dnspython==2.9.2
email-validator==2.4.0
h11==0.16.0
httpcore2==2.17.0
httpx2==2.17.0
idna==3.21
lark==1.3.1
pydantic==2.14.4
pydantic_core==2.50.5
scim2-client==0.13.2
scim2-models==0.12.3
scim2-tester==$VERSION
truststore==0.10.5
typing-inspection==0.4.5
typing_extensions==4.16.0"
# The pins are part of the venv's name, so changing one installs anew instead of reusing a stale venv.
pins_hash=$(printf '%s' "$PINS" | sha256sum | cut -c1-12)
cache="${WRITEBACK_CACHE_DIR:-$HOME/.cache/writeback}"
venv="$cache/scim2-tester-$VERSION-$pins_hash"
constraints=$(mktemp /tmp/ensure-scim2-tester.XXXXXX.txt)
trap 'rm -f "$constraints"' EXIT
printf '%s\n' "$PINS" >"$constraints"
ensure_python_venv scim2-tester "$venv" "$venv/bin/python" \
  -c 'import httpx2, scim2_client.engines.httpx2, scim2_tester; scim2_tester.get_all_available_tags()' \
  -- --constraint "$constraints" "scim2-tester[httpx2]==$VERSION"
