#!/usr/bin/env node
/**
 * Engine benchmark (see specs/benchmarks.md): tscompose vs Debian's docker-compose 1.29 vs the
 * engine floor (the same containers/networks via direct parallel dockerode calls, no planning) for
 *   1. up -d of a 4-service health-gated stack      2. up -d --scale web=20
 *   3. up -d of 30 independent services              4. no-op up -d (stack already up)
 *   5. down (of the 30-service project)
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

const CMD = ['sleep', '3600'];
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
const ts = (p, file, ...args) => timed([process.execPath, path.join(repo, 'dist', 'tscompose.mjs'), '--progress', 'quiet', '-p', p, '-f', `${file}.yaml`, ...args]);
const dc = (p, file, ...args) => timed(['docker-compose', '--no-ansi', '-p', p, '-f', `${file}.yaml`, ...args], { COMPOSE_INTERACTIVE_NO_CLI: '1' });

// ---- the floor: the same engine objects, created by direct parallel calls

async function floorUp(p, services, { healthGated = false } = {}) {
  const t0 = process.hrtime.bigint();
  const net = `${p}_default`;
  await docker.createNetwork({ Name: net, Labels: { 'com.docker.compose.project': p } });
  const create = (name, extra = {}) =>
    docker.createContainer({
      name: `${p}-${name}-1`, Image: IMAGE, Cmd: CMD, Labels: { 'com.docker.compose.project': p },
      HostConfig: { Init: true, NetworkMode: net }, NetworkingConfig: { EndpointsConfig: { [net]: { Aliases: [name] } } }, ...extra,
    });
  if (!healthGated) {
    await Promise.all(services.map(async (s) => (await create(s)).start()));
  } else {
    const [db, cache, api, web] = await Promise.all([
      create('db', { Healthcheck: { Test: ['CMD', 'true'], Interval: 200e6, Retries: 10 } }), create('cache'), create('api'), create('web'),
    ]);
    await Promise.all([db.start(), cache.start()]);
    for (;;) {
      const i = await db.inspect();
      if (i.State.Health?.Status === 'healthy') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await api.start();
    await web.start();
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function floorDown(p) {
  const t0 = process.hrtime.bigint();
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }) });
  await Promise.all(list.map(async (c) => {
    const k = docker.getContainer(c.Id);
    await k.stop({ t: 10 }).catch(() => undefined);
    await k.remove();
  }));
  await docker.getNetwork(`${p}_default`).remove();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function cleanup(p) {
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }) });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const nets = await docker.listNetworks({ filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }) });
  await Promise.all(nets.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  // docker-compose 1.29 labels its network too; fall back to the name.
  await docker.getNetwork(`${p}_default`).remove().catch(() => undefined);
}

const results = [];
async function scenario(name, { ts: tsRun, dc: dcRun, floor }) {
  const r = { name, ts: [], dc: [], floor: [] };
  for (let i = 0; i < RUNS; i++) {
    r.ts.push(await tsRun());
    r.dc.push(await dcRun());
    if (floor) r.floor.push(await floor());
  }
  results.push(r);
  const f = (xs) => (xs.length ? `${median(xs).toFixed(0)} ms` : '-');
  const ratio = (a, b) => (a.length && b.length ? (median(a) / median(b)).toFixed(2) : '-');
  console.log(`${name.padEnd(34)} tscompose ${f(r.ts).padStart(8)}  docker-compose ${f(r.dc).padStart(8)}  floor ${f(r.floor).padStart(8)}  ts/floor ${ratio(r.ts, r.floor).padStart(5)}  ts/dc ${ratio(r.ts, r.dc).padStart(5)}`);
}

const stackServices = ['db', 'cache', 'api', 'web'];
const many = Array.from({ length: 30 }, (_, i) => `s${i}`);
const scaled = Array.from({ length: 20 }, (_, i) => `web${i}`);
const downs = { ts: [], dc: [], floor: [] };

try {
  console.log(`engine benchmark: ${RUNS} runs each, medians; docker engine ${(await docker.version()).Version}`);
  await scenario('up -d (4 services, health-gated)', {
    ts: async () => { const p = newProject('t'); const ms = ts(p, 'stack', 'up', '-d'); await cleanup(p); return ms; },
    dc: async () => { const p = newProject('d'); const ms = dc(p, 'stack', 'up', '-d'); await cleanup(p); return ms; },
    floor: async () => { const p = newProject('f'); const ms = await floorUp(p, stackServices, { healthGated: true }); await cleanup(p); return ms; },
  });
  await scenario('up -d --scale web=20', {
    ts: async () => { const p = newProject('t'); const ms = ts(p, 'scale', 'up', '-d', '--scale', 'web=20'); await cleanup(p); return ms; },
    dc: async () => { const p = newProject('d'); const ms = dc(p, 'scale', 'up', '-d', '--scale', 'web=20'); await cleanup(p); return ms; },
    floor: async () => { const p = newProject('f'); const ms = await floorUp(p, scaled); await cleanup(p); return ms; },
  });
  await scenario('up -d (30 independent services)', {
    ts: async () => { const p = newProject('t'); const ms = ts(p, 'many', 'up', '-d'); downs.ts.push(ts(p, 'many', 'down')); await cleanup(p); return ms; },
    dc: async () => { const p = newProject('d'); const ms = dc(p, 'many', 'up', '-d'); downs.dc.push(dc(p, 'many', 'down')); await cleanup(p); return ms; },
    floor: async () => { const p = newProject('f'); const ms = await floorUp(p, many); downs.floor.push(await floorDown(p)); await cleanup(p); return ms; },
  });
  const tsP = newProject('t');
  const dcP = newProject('d');
  ts(tsP, 'stack', 'up', '-d');
  dc(dcP, 'stack', 'up', '-d');
  await scenario('no-op up -d (4 services, up)', {
    ts: async () => ts(tsP, 'stack', 'up', '-d'),
    dc: async () => dc(dcP, 'stack', 'up', '-d'),
  });
  await cleanup(tsP);
  await cleanup(dcP);
  const f = (xs) => `${median(xs).toFixed(0)} ms`;
  console.log(`${'down (30 services)'.padEnd(34)} tscompose ${f(downs.ts).padStart(8)}  docker-compose ${f(downs.dc).padStart(8)}  floor ${f(downs.floor).padStart(8)}  ts/floor ${(median(downs.ts) / median(downs.floor)).toFixed(2).padStart(5)}  ts/dc ${(median(downs.ts) / median(downs.dc)).toFixed(2).padStart(5)}`);
} finally {
  for (const p of projects) await cleanup(p);
  rmSync(dir, { recursive: true, force: true });
}
