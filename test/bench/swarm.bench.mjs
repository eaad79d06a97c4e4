#!/usr/bin/env node
/**
 * Swarm benchmark (see specs/benchmarks.md): tsswarm vs Docker Swarm vs the engines' floor on two
 * three-host labs, in one invocation. The benchmark itself is test/bench/swarm-bench.ts (it drives
 * the TypeScript lab harness); Node 20 cannot run TypeScript, so this builds dist/ (the tsswarm the
 * lab daemons run) and bundles the benchmark with esbuild into node_modules/.cache/tslab/, then runs it.
 * Usage (root): npm run bench:swarm [-- --runs N --warmup W --replicas 30 --scale 90 --timeout S
 *               --heartbeat-ms MS --no-faults --only tsswarm|swarm|floor]
 */
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(repo);
execFileSync(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { stdio: 'inherit' });
const out = path.join(repo, 'node_modules/.cache/tslab/swarm-bench.mjs');
await build({
  entryPoints: [path.join(repo, 'test/bench/swarm-bench.ts')],
  outfile: out,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
await import(pathToFileURL(out).href);
