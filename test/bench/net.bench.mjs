#!/usr/bin/env node
/**
 * East-west networking benchmark (see specs/benchmarks.md): tsswarm's overlay, VIP and VIP
 * programming latency vs Docker Swarm's overlay vs the underlay, on two three-host labs, in one
 * invocation. The benchmark itself is test/bench/net-bench.ts (it drives the TypeScript lab
 * harness); Node 20 cannot run TypeScript, so this builds dist/ (the tsswarm the lab daemons run)
 * and bundles the benchmark with esbuild into node_modules/.cache/tslab/, then runs it.
 * Usage (root): npm run bench:net [-- --runs 5 --seconds 5 --changes 20 --poll-ms 10 --timeout S
 *               --only tsswarm|swarm --trace]
 * --trace (diagnostic, lab A only): every ip/bridge/nft/nsenter/conntrack the daemons run is
 * logged, and each node's pass is printed around every VIP change (where the latency goes).
 */
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(repo);
execFileSync(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { stdio: 'inherit' });
const out = path.join(repo, 'node_modules/.cache/tslab/net-bench.mjs');
await build({
  entryPoints: [path.join(repo, 'test/bench/net-bench.ts')],
  outfile: out,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
await import(pathToFileURL(out).href);
