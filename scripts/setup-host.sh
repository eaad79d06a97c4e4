#!/usr/bin/env bash
# Installs and starts everything the tests need on a fresh Debian 12 machine (as root).
# Idempotent: safe to run again on a machine where it already ran.
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }

PKGS=(docker.io busybox-static iproute2 iptables nftables conntrack iperf3 wrk procps curl psmisc ruby shellcheck)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's docker.io puts dockerd in /usr/sbin; a newer client may shadow `docker` on PATH (both work).
DOCKERD=$(command -v dockerd || echo /usr/sbin/dockerd)
SOCK=/var/run/docker.sock
engine_answers() { curl -fsS --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; }

if ! engine_answers; then
  log "starting dockerd"
  mkdir -p /var/log
  nohup "$DOCKERD" >/var/log/tscompose-dockerd.log 2>&1 &
  for _ in $(seq 1 120); do
    engine_answers && break
    sleep 0.5
  done
  engine_answers || { log "dockerd did not answer on $SOCK; see /var/log/tscompose-dockerd.log"; tail -20 /var/log/tscompose-dockerd.log >&2; exit 1; }
fi
log "engine answers on $SOCK"

"$(dirname "$0")/build-test-images.sh"
