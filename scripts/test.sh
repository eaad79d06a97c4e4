#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine as root: installs and starts what the tests
# need (Docker engine, busybox test image), installs the npm packages, then runs typecheck, lint,
# unit, simulation, integration and lab tests. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
npx tsc --noEmit -p .
npm run --silent lint

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
run_phase() {
  local name=$1; shift
  echo "=== $name ==="
  npx vitest run --reporter=default --reporter=json --outputFile="$results/$name.json" "$@" || status=1
}
# Pure tests run in parallel; tests that share the engine or the machine's network run one file at a time.
run_phase unit test/unit test/sim
if compgen -G 'test/integration/**/*.test.ts' >/dev/null || compgen -G 'test/integration/*.test.ts' >/dev/null; then
  docker volume ls -q >"$results/volumes-before"
  run_phase integration test/integration --no-file-parallelism
  # Every test cleans up what it created: leftovers (containers, networks, volumes, anonymous
  # volumes included) fail the run and are listed.
  echo "=== leftovers ==="
  bash scripts/check-leftovers.sh "$results/volumes-before" || status=1
fi
if compgen -G 'test/lab/*.test.ts' >/dev/null; then
  run_phase lab test/lab --no-file-parallelism
fi
node scripts/sum-results.mjs "$results"/*.json
exit $status
