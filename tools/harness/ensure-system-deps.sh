#!/usr/bin/env bash
# Installs the Debian packages the real-component test harness needs (Samba AD DC, librdkafka's
# mock cluster, a C compiler) and those the deployment tests render with (Go with Sprig, YAML and
# JSON Schema libraries for tools/helm-render; kubectl for Kustomize). Idempotent: does nothing
# when everything is present.
set -euo pipefail

PACKAGES=(samba-ad-dc samba-ad-provision samba winbind krb5-user ldb-tools librdkafka-dev zlib1g-dev kcat gcc libc6-dev iproute2 openssl
  golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev golang-github-xeipuuv-gojsonschema-dev)
# Any kubectl renders Kustomize; Debian's would conflict with one installed otherwise (e.g. Google Cloud SDK's).
command -v kubectl >/dev/null 2>&1 || PACKAGES+=(kubernetes-client)

# shellcheck source=tools/harness/apt-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-packages.sh"
mapfile -t missing < <(apt_missing "${PACKAGES[@]}")
if [ "${#missing[@]}" -eq 0 ]; then
  echo "ensure-system-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi
apt_require_root ensure-system-deps "${missing[@]}"

export DEBIAN_FRONTEND=noninteractive

# krb5-config would otherwise ask for a default realm; the harness writes no global krb5.conf.
debconf-set-selections <<'EOF'
krb5-config krb5-config/default_realm string
krb5-config krb5-config/add_servers_realm string
krb5-config krb5-config/kerberos_servers string
krb5-config krb5-config/admin_server string
krb5-config krb5-config/add_servers boolean false
krb5-config krb5-config/read_conf boolean true
EOF

# Forests are started by the harness on their own addresses; a global smbd/nmbd/samba started by
# the packages' maintainer scripts would hold ports and /run/samba. policy-rc.d 101 = "do not start".
policy_rc=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy_rc" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
  chmod 755 "$policy_rc"
  created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then rm -f "$policy_rc"; fi; }
trap cleanup EXIT

apt_install ensure-system-deps "${missing[@]}"

# Should a maintainer script have started a daemon anyway (e.g. policy-rc.d pre-existed and allowed
# it), stop exactly the pids the packages' own pid files name.
for pidfile in /run/samba/samba.pid /run/samba/smbd.pid /run/samba/nmbd.pid /run/samba/winbindd.pid; do
  if [ -s "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
  fi
done

echo "ensure-system-deps: installed ${missing[*]}"
