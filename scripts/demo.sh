#!/usr/bin/env bash
# The main job end to end on a built-in example, from a fresh Debian 12 machine as root:
# installs and starts what it needs, builds tscompose, and renders the example's canonical model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
EXAMPLE=${EXAMPLE:-examples/config-demo}
echo "+ tscompose -f $EXAMPLE/compose.yaml config"
node bin/tscompose.mjs -f "$EXAMPLE/compose.yaml" config
