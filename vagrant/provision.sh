#!/usr/bin/env bash
# Provisions one Debian 12 VM for tsswarm (run as root by Vagrant; safe to run again):
# Docker engine, Node.js >= 20, this project built in /opt/tscompose, the offline test image,
# and the tsswarm.service systemd unit.
#
# Node.js: Debian 12 ships nodejs 18, older than the project needs (>= 20). By default this adds
# NodeSource's Node 20 apt repository (the VM needs internet access for it and for npm).
# TSSWARM_NODE_SOURCE=debian uses Debian's nodejs instead (unsupported, for offline mirrors).
set -euo pipefail

log() { printf '[provision] %s\n' "$*" >&2; }

PROJECT=${TSSWARM_PROJECT:-/opt/tscompose}
ADVERTISE=${TSSWARM_ADVERTISE_ADDR:-}
NODE_NAME=${TSSWARM_NODE_NAME:-$(hostname)}
NODE_SOURCE=${TSSWARM_NODE_SOURCE:-nodesource}
export DEBIAN_FRONTEND=noninteractive

apt_install() {
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

node_major() {
  if command -v node >/dev/null 2>&1; then
    node -p 'process.versions.node.split(".")[0]'
  else
    echo 0
  fi
}

log "packages"
apt-get update -qq
apt_install ca-certificates curl gnupg docker.io busybox-static iproute2 iptables nftables procps psmisc

if [ "$(node_major)" -lt 20 ]; then
  if [ "$NODE_SOURCE" = debian ]; then
    log "Node.js from Debian (version 18: below the supported 20, expect failures)"
    apt_install nodejs npm
  else
    log "Node.js 20 from NodeSource"
    install -d -m 0755 /etc/apt/keyrings
    curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key |
      gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
    echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main" \
      >/etc/apt/sources.list.d/nodesource.list
    apt-get update -qq
    apt_install nodejs
  fi
fi
log "node $(node --version)"

log "docker"
systemctl enable --now docker >/dev/null

log "project in $PROJECT"
cd "$PROJECT"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
ln -sf "$PROJECT/bin/tsswarm.mjs" /usr/local/bin/tsswarm
ln -sf "$PROJECT/bin/tscompose.mjs" /usr/local/bin/tscompose
TEST_IMAGE=tscompose-test/busybox:latest bash scripts/build-test-images.sh

log "tsswarm.service"
install -d -m 0700 /var/lib/tsswarm
# Settings live in /etc/default/tsswarm so the unit file never needs editing; an existing file
# (edited by an operator) is kept.
if [ ! -f /etc/default/tsswarm ]; then
  {
    echo "# Arguments of \`tsswarm daemon\` on this node (see specs/cli.md)."
    echo "TSSWARM_DAEMON_ARGS=\"--data-dir /var/lib/tsswarm${ADVERTISE:+ --advertise-addr $ADVERTISE} --node-name $NODE_NAME\""
  } >/etc/default/tsswarm
fi
install -m 0644 "$PROJECT/vagrant/tsswarm.service" /etc/systemd/system/tsswarm.service
systemctl daemon-reload
systemctl enable tsswarm.service >/dev/null
# Start it now; a daemon that cannot start yet (early in the project) must not fail provisioning.
systemctl restart tsswarm.service || log "tsswarm.service did not start: journalctl -u tsswarm"
log "done: $NODE_NAME ${ADVERTISE:-}"
