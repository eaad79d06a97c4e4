#!/usr/bin/env node
/**
 * Engine benchmark (see specs/benchmarks.md): tscompose vs Debian's docker-compose 1.29 vs the
 * engine floor (the same containers/networks via direct parallel dockerode calls, no planning) for
 *   1. up -d of a 4-service health-gated stack      2. up -d --scale web=20
 *   3. up -d of 30 independent services              4. no-op up -d (stack already up), repeated
 *   5. down (of the 30-service project)                 (memo) and first (full, TSCOMPOSE_NO_MEMO=1)
 * Each tool runs one up/down first, unmeasured: tscompose's code cache and Python's .pyc files are
 * warm in every measured run, as they are for anyone who used the tool before.
 * Prints medians and the ratios tscompose/floor and tscompose/docker-compose. Not part of the test
 * suite. Installs docker-compose (apt) if missing; removes everything it created.
 * Usage: npm run bench:engine [-- --runs N]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const IMAGE = 'tscompose-test/busybox:latest';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function ensureCompose() {
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return;
  console.error('[bench] installing docker-compose (apt)');
  execFileSync('apt-get', ['install', '-y', '-qq', 'docker-compose'], { stdio: 'inherit' });
}

execFileSync(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { cwd: repo, stdio: 'inherit' });
ensureCompose();

const svc = (extra = '') => `    image: ${IMAGE}\n    init: true\n    command: ["sleep", "3600"]\n${extra}`;
const FILES = {
  stack: `services:\n  db:\n${svc('    healthcheck: {test: ["CMD", "true"], interval: 200ms, retries: 10}\n')}  cache:\n${svc()}  api:\n${svc('    depends_on: {db: {condition: service_healthy}, cache: {condition: service_started}}\n')}  web:\n${svc('    depends_on: {api: {condition: service_started}}\n')}`,
  scale: `services:\n  web:\n${svc()}`,
  many: `services:\n${Array.from({ length: 30 }, (_, i) => `  s${i}:\n${svc()}`).join('')}`,
};

const dir = mkdtempSync(path.join(tmpdir(), 'tscompose-bench-'));
for (const [k, v] of Object.entries(FILES)) writeFileSync(path.join(dir, `${k}.yaml`), v);
let seq = 0;
const projects = new Set();
const newProject = (tool) => {
  const p = `bench${tool}${process.pid}x${seq++}`;
  projects.add(p);
  return p;
};

function timed(argv, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}
const tsWith = (env, p, file, ...args) => timed([process.execPath, path.join(repo, 'dist', 'tscompose.mjs'), '--progress', 'quiet', '-p', p, '-f', `${file}.yaml`, ...args], env);
const ts = (p, file, ...args) => tsWith({}, p, file, ...args);
const dc = (p, file, ...args) => timed(['docker-compose', '--no-ansi', '-p', p, '-f', `${file}.yaml`, ...args], { COMPOSE_INTERACTIVE_NO_CLI: '1' });

// ---- the floor lives in compose-engine-floor.mjs: run in this process and as its own process
// (a CLI pays node's start-up and module loading; the process floor shows what any node CLI pays).
import { floorUp, floorDown } from './compose-engine-floor.mjs';
const floorProc = (...args) => timed([process.execPath, path.join(repo, 'test', 'bench', 'compose-engine-floor.mjs'), ...args]);

async function cleanup(p) {
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }) });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const nets = await docker.listNetworks({ filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }) });
  await Promise.all(nets.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  // docker-compose 1.29 labels its network too; fall back to the name.
  await docker.getNetwork(`${p}_default`).remove().catch(() => undefined);
}

const results = [];
async function scenario(name, { ts: tsRun, dc: dcRun, floor, floorP }) {
  const r = { name, ts: [], dc: [], floor: [], proc: [] };
  for (let i = 0; i < RUNS; i++) {
    r.ts.push(await tsRun());
    r.dc.push(await dcRun());
    if (floor) r.floor.push(await floor());
    if (floorP) r.proc.push(await floorP());
  }
  results.push(r);
  line(name, r);
}

function line(name, r) {
  const f = (xs) => (xs.length ? `${median(xs).toFixed(0)} ms` : '-');
  const ratio = (a, b) => (a.length && b.length ? (median(a) / median(b)).toFixed(2) : '-');
  console.log(`${name.padEnd(34)} tscompose ${f(r.ts).padStart(8)}  docker-compose ${f(r.dc).padStart(8)}  floor ${f(r.floor).padStart(8)}  floor-process ${f(r.proc).padStart(8)}  ts/floor ${ratio(r.ts, r.floor).padStart(5)}  ts/floor-process ${ratio(r.ts, r.proc).padStart(5)}  ts/dc ${ratio(r.ts, r.dc).padStart(5)}`);
}

const stackServices = ['db', 'cache', 'api', 'web'];
const many = Array.from({ length: 30 }, (_, i) => `s${i}`);
const scaled = Array.from({ length: 20 }, (_, i) => `web${i}`);
const downs = { ts: [], dc: [], floor: [], proc: [] };

try {
  console.log(`engine benchmark: ${RUNS} runs each, medians; docker engine ${(await docker.version()).Version}`);
  for (const [run, p] of [[ts, newProject('t')], [dc, newProject('d')]]) {
    run(p, 'scale', 'up', '-d');
    run(p, 'scale', 'down');
    await cleanup(p);
  }
  await scenario('up -d (4 services, health-gated)', {
    ts: async () => { const p = newProject('t'); const ms = ts(p, 'stack', 'up', '-d'); await cleanup(p); return ms; },
    dc: async () => { const p = newProject('d'); const ms = dc(p, 'stack', 'up', '-d'); await cleanup(p); return ms; },
    floor: async () => { const p = newProject('f'); const ms = await floorUp(p, stackServices, { healthGated: true }); await cleanup(p); return ms; },
    floorP: async () => { const p = newProject('f'); const ms = floorProc('up', p, 'stack'); await cleanup(p); return ms; },
  });
  await scenario('up -d --scale web=20', {
    ts: async () => { const p = newProject('t'); const ms = ts(p, 'scale', 'up', '-d', '--scale', 'web=20'); await cleanup(p); return ms; },
    dc: async () => { const p = newProject('d'); const ms = dc(p, 'scale', 'up', '-d', '--scale', 'web=20'); await cleanup(p); return ms; },
    floor: async () => { const p = newProject('f'); const ms = await floorUp(p, scaled); await cleanup(p); return ms; },
    floorP: async () => { const p = newProject('f'); const ms = floorProc('up', p, 'scale'); await cleanup(p); return ms; },
  });
  await scenario('up -d (30 independent services)', {
    ts: async () => { const p = newProject('t'); const ms = ts(p, 'many', 'up', '-d'); downs.ts.push(ts(p, 'many', 'down')); await cleanup(p); return ms; },
    dc: async () => { const p = newProject('d'); const ms = dc(p, 'many', 'up', '-d'); downs.dc.push(dc(p, 'many', 'down')); await cleanup(p); return ms; },
    floor: async () => { const p = newProject('f'); const ms = await floorUp(p, many); downs.floor.push(await floorDown(p)); await cleanup(p); return ms; },
    floorP: async () => { const p = newProject('f'); const ms = floorProc('up', p, 'many'); downs.proc.push(floorProc('down', p)); await cleanup(p); return ms; },
  });
  const tsP = newProject('t');
  const dcP = newProject('d');
  ts(tsP, 'stack', 'up', '-d');
  dc(dcP, 'stack', 'up', '-d');
  // The first no-op writes the memo; the measured ones are the repeats a user types.
  ts(tsP, 'stack', 'up', '-d');
  await scenario('no-op up -d (4 services, up)', {
    ts: async () => ts(tsP, 'stack', 'up', '-d'),
    dc: async () => dc(dcP, 'stack', 'up', '-d'),
  });
  await scenario('  the same without the memo', {
    ts: async () => tsWith({ TSCOMPOSE_NO_MEMO: '1' }, tsP, 'stack', 'up', '-d'),
    dc: async () => dc(dcP, 'stack', 'up', '-d'),
  });
  await cleanup(tsP);
  await cleanup(dcP);
  line('down (30 services)', downs);
} finally {
  for (const p of projects) await cleanup(p);
  rmSync(dir, { recursive: true, force: true });
}
