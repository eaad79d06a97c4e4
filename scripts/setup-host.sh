#!/usr/bin/env bash
# Installs and starts everything the tests need on a fresh Debian 12 machine (as root).
# Idempotent: safe to run again on a machine where it already ran.
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }

# docker-registry (CNCF distribution) and apache2-utils (`htpasswd -B`, the bcrypt htpasswd file it
# reads) serve the registry tests: test/helpers/registry.ts starts its own instances.
# bash-completion: the generated completion scripts call its _get_comp_words_by_ref (the test runs them).
PKGS=(docker.io busybox-static iproute2 iptables nftables conntrack iperf3 wrk procps curl psmisc ruby shellcheck
  docker-registry apache2-utils bash-completion)
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

# Debian's docker-registry package enables a service on :5000 (started at once where systemd or an
# init policy allows it). Tests start their own registries on ports they pick, so the packaged one
# must not run or come back at boot.
if [ -x /usr/bin/docker-registry ]; then
  if [ -d /run/systemd/system ]; then
    systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
  else
    if [ -f /var/run/docker-registry.pid ]; then /etc/init.d/docker-registry stop >/dev/null 2>&1 || true; fi
    update-rc.d docker-registry disable >/dev/null 2>&1 || true
  fi
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
