# Sourced by the ensure-*.sh scripts: which Debian packages are missing, and installing them.

# Prints the packages of the arguments that are not installed, one a line.
apt_missing() {
  local pkg
  for pkg in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" = "installed" ] || echo "$pkg"
  done
}

# apt_require_root <label> <package...>: exits unless root, saying how to install them by hand.
apt_require_root() {
  local label=$1
  shift
  [ "$(id -u)" -eq 0 ] && return 0
  echo "$label: missing packages: $*" >&2
  echo "$label: run as root, or install them by hand:" >&2
  echo "  apt-get install -y --no-install-recommends $*" >&2
  exit 1
}

# apt_install <label> <package...>: installs without recommends, quietly; the log's tail on failure.
apt_install() {
  local label=$1 log
  shift
  log=$(mktemp "/tmp/$label.XXXXXX.log")
  # Another checkout's installer may hold dpkg's lock for a while.
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "$label: apt-get failed installing: $* (log: $log)" >&2
    exit 1
  fi
  rm -f "$log"
}
