#!/usr/bin/env bash
# Static checks for what cannot boot here (no VMs on this machine): the Vagrantfile parses as
# Ruby, and every shell script passes shellcheck. Installs ruby and shellcheck via apt if missing
# (scripts/setup-host.sh normally installs them); exits 3 if they cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ruby >/dev/null 2>&1 || need+=(ruby)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
if ((${#need[@]})); then
  echo "[check-vagrant] installing: ${need[*]}" >&2
  if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; }; }; then
    echo "[check-vagrant] cannot install ${need[*]} with apt" >&2
    exit 3
  fi
fi

ruby -c vagrant/Vagrantfile
shellcheck vagrant/*.sh scripts/*.sh
echo "[check-vagrant] ok: Vagrantfile syntax, shellcheck of vagrant/*.sh scripts/*.sh"
