#!/usr/bin/env bash
# Installs the Debian packages the real-component test harness needs (Samba AD DC, kcat as a
# second Kafka client, a Java runtime and Maven for Apache Kafka) and what the deployment tests
# run beside the tools they build with the machine's Go (Helm, kustomize, kube-apiserver,
# kubectl: tools/deploy/go-tools.ts): promtool (Debian's prometheus) for the chart's alert rules,
# and etcd (etcd-server) for the API server; zsh, to run the CLI's zsh completion script.
# Idempotent: does nothing when everything is present.
set -euo pipefail

PACKAGES=(samba-ad-dc samba-ad-provision samba winbind krb5-user ldb-tools kcat iproute2 openssl
  prometheus etcd-server zsh)
# Apache Kafka (libs/testing/src/kafka-cluster.ts) needs Java 17+ and Maven to resolve it; the
# machines come with both, which a Debian package must not replace.
command -v java >/dev/null 2>&1 || PACKAGES+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || PACKAGES+=(maven)

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

# Forests are started by the harness on their own addresses; a global smbd/nmbd/samba (or a
# Prometheus server, or etcd) started by the packages' maintainer scripts would hold ports and
# /run/samba; the deploy tests start their own etcd on free loopback ports.
# policy-rc.d 101 = "do not start".
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
