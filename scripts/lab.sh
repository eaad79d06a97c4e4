#!/usr/bin/env bash
# Several Docker hosts on one machine (root): network namespaces on a shared bridge, each with its
# own dockerd. See specs/lab.md.
#   scripts/lab.sh up 3          # h1..h3 on 10.199.0.11-13, prints each DOCKER_HOST
#   scripts/lab.sh status
#   scripts/lab.sh exec h1 ip addr
#   scripts/lab.sh docker h2 ps
#   scripts/lab.sh down          # removes everything the lab made
# TSLAB_NAME / TSLAB_NET select another lab (name prefix, underlay 10.199.NET.0/24).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/esbuild ]; then
  echo "lab: run 'npm ci' first (the lab harness is bundled with esbuild)" >&2
  exit 1
fi
exec node scripts/lab-cli.mjs "$@"
