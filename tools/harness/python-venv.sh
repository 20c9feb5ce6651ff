# Sourced by the ensure-*.sh scripts that install a Python tool from PyPI into a cached virtualenv.
#
# ensure_python_venv NAME VENV COMMAND VERIFY_ARG... -- PIP_INSTALL_ARG...
# prints COMMAND once VENV holds what `pip install PIP_INSTALL_ARG...` installs and `COMMAND
# VERIFY_ARG...` succeeds. Idempotent: a venv installed before is found by its marker, written last
# (a venv without it is an interrupted install: a venv cannot be built aside and moved into place,
# its scripts name their own path).
ensure_python_venv() {
  local name=$1 venv=$2 command=$3
  shift 3
  local verify=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    verify+=("$1")
    shift
  done
  shift
  local done_marker="$venv/.installed"

  if [ -f "$done_marker" ] && [ -x "$command" ]; then
    echo "$command"
    return 0
  fi

  mkdir -p "$(dirname "$venv")"
  rm -rf "$venv"
  local log
  log=$(mktemp "/tmp/ensure-$name.XXXXXX.log")
  if ! { python3 -m venv "$venv" &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" &&
    "$command" "${verify[@]}"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "ensure-$name: installing $* from PyPI into $venv failed (log: $log)" >&2
    return 1
  fi
  rm -f "$log"
  touch "$done_marker"
  echo "$command"
}
