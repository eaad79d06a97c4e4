#!/usr/bin/env bash
# The main job end to end on a built-in example, from a fresh Debian 12 machine as root: installs
# and starts what it needs, builds tscompose, brings up examples/web-lb (a web service scaled to
# three containers behind a load-balancing proxy), shows it answering, and takes it down again.
# KEEP=1 leaves the stack running.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
tscompose() { echo "+ tscompose $*" >&2; node bin/tscompose.mjs "$@"; }
FILE=examples/web-lb/compose.yaml

tscompose -f "$FILE" config --services
tscompose -f "$FILE" up -d --scale web=3 --wait
tscompose -f "$FILE" ps
echo "+ curl -s localhost:8080  (x6)" >&2
answered=0
for _ in 1 2 3 4 5 6; do
  if out=$(curl -fsS --max-time 5 localhost:8080); then echo "$out"; answered=$((answered + 1)); fi
done
[ "${KEEP:-0}" = 1 ] || tscompose -f "$FILE" down
if [ "$answered" -eq 0 ]; then echo "demo: the stack did not answer on localhost:8080" >&2; exit 1; fi
