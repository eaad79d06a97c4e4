#!/usr/bin/env node
/**
 * VIP load-balancer benchmark runner (see test/bench/net-lb-bench.ts): Node 20 cannot run
 * TypeScript, so this bundles the benchmark with esbuild, dependencies included (they are pure JS),
 * into the system temp folder, and runs it. Root only.
 * Usage: node test/bench/net-lb.bench.mjs [-- --changes 200 --naive-changes 200 --full-runs 5 --seed 1]
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'tslb-bench-'));
const out = path.join(dir, 'net-lb-bench.mjs');
try {
  await build({
    entryPoints: [path.join(repo, 'test/bench/net-lb-bench.ts')],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  await import(pathToFileURL(out).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
