#!/usr/bin/env node
/**
 * Registry benchmark (see specs/benchmarks.md): pulls through a real registry, ours vs
 * docker-compose 1.29 and Docker Swarm (two three-host labs for the swarm part). The benchmark itself is test/bench/registry-bench.ts (it drives
 * the TypeScript lab harness); Node 20 cannot run TypeScript, so this builds dist/ (the tsswarm the
 * lab daemons run) and bundles the benchmark with esbuild into node_modules/.cache/tslab/, then runs it.
 * Usage (root): npm run bench:registry [-- --runs N --warmup W --layer-mb MB --only compose|swarm]
 */
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(repo);
execFileSync(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { stdio: 'inherit' });
const out = path.join(repo, 'node_modules/.cache/tslab/registry-bench.mjs');
await build({
  entryPoints: [path.join(repo, 'test/bench/registry-bench.ts')],
  outfile: out,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
await import(pathToFileURL(out).href);
