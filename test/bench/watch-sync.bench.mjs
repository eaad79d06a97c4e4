#!/usr/bin/env node
/**
 * Watch benchmark (see specs/benchmarks.md): edit -> file in the container latency of
 * `tscompose watch` (action sync) over N edits, against the engine's floor for the same change:
 * one putArchive of the same file, straight through dockerode. Both are observed the same way: the
 * container runs a loop that prints the file whenever it changes (every 5 ms), read through a
 * followed log stream, so the observer's cost is in both numbers. Prints medians, p90 and the
 * ratio tscompose/floor; the debounce quiet period (src/engine/watch/debounce.ts) is part of ours
 * by design. docker compose v2 (`docker compose watch`) cannot be installed here (no registry but
 * npm and Debian's; Debian ships docker-compose 1.29, which has no watch), so there is no
 * side-by-side figure. Not part of the test suite; removes everything it created.
 * Usage: node test/bench/watch-sync.bench.mjs [--edits N]   (npm run bench:watch -- --edits N)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { pack } from 'tar-stream';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const editsArg = process.argv.indexOf('--edits');
const EDITS = Math.min(200, editsArg > 0 ? Number(process.argv[editsArg + 1]) : 20);
const IMAGE = 'tscompose-test/busybox:latest';
const WAIT_MS = 5000;
const GAP_MS = 400;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const project = `benchwatch${process.pid}`;
const cli = path.join(repo, 'dist', 'tscompose.mjs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const fmt = (xs) => `median ${quantile(xs, 0.5)} ms, p90 ${quantile(xs, 0.9)} ms, min ${Math.min(...xs)} ms, max ${Math.max(...xs)} ms (n=${xs.length})`;

execFileSync(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { cwd: repo, stdio: 'inherit' });
const dir = mkdtempSync(path.join(tmpdir(), 'tscompose-bench-watch-'));
mkdirSync(path.join(dir, 'src'));
writeFileSync(path.join(dir, 'src', 'f.txt'), 'start');
// The observer: prints the file each time its content changes.
const loop = `trap 'exit 0' TERM; last=; while :; do v=$$(cat /srv/f.txt 2>/dev/null); if [ "$$v" != "$$last" ]; then echo "seen $$v"; last=$$v; fi; usleep 5000; done`;
writeFileSync(path.join(dir, 'compose.yaml'), `services:\n  web:\n    image: ${IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(loop)}]\n    develop:\n      watch:\n        - {path: ./src, action: sync, target: /srv}\n`);

const seen = new Map();
let child;
try {
  child = spawn(process.execPath, ['--', cli, '-p', project, '--progress', 'quiet', 'watch'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  for (let t = Date.now(); !out.includes('Watch enabled'); await sleep(50)) if (Date.now() - t > 60_000) throw new Error('watch did not start');

  const container = docker.getContainer(`${project}-web-1`);
  const logs = await container.logs({ follow: true, stdout: true, stderr: false, since: Math.floor(Date.now() / 1000) });
  let buf = '';
  logs.on('data', (chunk) => {
    // Multiplexed frames: an 8-byte header before each payload (no TTY).
    let b = chunk;
    while (b.length >= 8) {
      const n = b.readUInt32BE(4);
      buf += b.subarray(8, 8 + n).toString();
      b = b.subarray(8 + n);
    }
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.startsWith('seen ')) seen.set(line.slice(5), Date.now());
    }
  });
  const visible = async (value, t0) => {
    for (;;) {
      if (seen.has(value)) return seen.get(value) - t0;
      if (Date.now() - t0 > WAIT_MS) return undefined;
      await sleep(2);
    }
  };

  const ours = [];
  let lost = 0;
  for (let i = 0; i < EDITS; i++) {
    const value = `w${i}`;
    const t0 = Date.now();
    writeFileSync(path.join(dir, 'src', 'f.txt'), value);
    const ms = await visible(value, t0);
    if (ms === undefined) lost++;
    else ours.push(ms);
    await sleep(GAP_MS);
  }
  child.kill('SIGINT');
  await new Promise((r) => child.on('exit', r));

  // The floor: the same file, one putArchive each, observed the same way.
  const tarOf = async (value) => {
    const p = pack();
    const chunks = [];
    p.on('data', (c) => chunks.push(c));
    const done = new Promise((r) => p.on('end', () => r(Buffer.concat(chunks))));
    p.entry({ name: 'srv/f.txt', mode: 0o644 }, value);
    p.finalize();
    return done;
  };
  const floor = [];
  const calls = [];
  for (let i = 0; i < EDITS; i++) {
    const value = `p${i}`;
    const t0 = Date.now();
    await container.putArchive(await tarOf(value), { path: '/' });
    calls.push(Date.now() - t0);
    const ms = await visible(value, t0);
    if (ms !== undefined) floor.push(ms);
    await sleep(GAP_MS);
  }
  logs.destroy?.();

  const load = (await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`\nwatch-sync benchmark: ${EDITS} edits of one small file, ${GAP_MS} ms apart (load average ${load})`);
  console.log(`  tscompose watch, edit -> visible in the container: ${ours.length ? fmt(ours) : 'none seen'}${lost ? `; ${lost} not seen within ${WAIT_MS} ms` : ''}`);
  console.log(`  engine floor, putArchive -> visible:               ${floor.length ? fmt(floor) : 'none seen'}`);
  console.log(`  engine floor, the putArchive call alone:           ${fmt(calls)}`);
  if (ours.length && floor.length) console.log(`  ratio tscompose / floor (medians): ${(quantile(ours, 0.5) / quantile(floor, 0.5)).toFixed(1)}x (of ours, 200 ms is the debounce quiet period)`);
  console.log('  docker compose v2: not installable here (only npm and Debian packages are reachable; Debian has docker-compose 1.29, without watch): no side-by-side figure');
} finally {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  execFileSync(process.execPath, ['--', cli, '-p', project, '--progress', 'quiet', 'down', '-t', '0'], { cwd: dir, stdio: 'inherit' });
  rmSync(dir, { recursive: true, force: true });
}
