/**
 * The remaining flags: DOCKER_HOST over tcp, events --json, logs -f/--since, exec with a real TTY,
 * run -p/--service-ports, up --wait/--no-start/--no-deps, restart: true and required: false.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { REPO, SLEEPER, TEST_IMAGE, cleanupProject, cli, ensureBuilt, eventually, projectDir, runtime, uniqueProject } from './compose-helpers.js';

const p = uniqueProject('more');
const d = projectDir(`
services:
  db:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    healthcheck: {test: ["CMD", "true"], interval: 200ms}
  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do echo tick $$i; i=$$((i+1)); sleep 0.2; done & wait"]
    ports: ["80"]
    depends_on:
      db: {condition: service_healthy, restart: true}
      cache: {condition: service_started, required: false}
  cache:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    profiles: [extra]
`);
const run = (...a: string[]) => cli(['-p', p, '--progress', 'plain', ...a], { cwd: d.dir });
let proxy: Server;
let proxyPort = 0;

beforeAll(async () => {
  ensureBuilt();
  // A tcp endpoint for the engine: a byte pipe from 127.0.0.1 to the unix socket.
  proxy = createServer((c) => {
    const u = createConnection('/var/run/docker.sock');
    c.pipe(u).pipe(c);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyPort = (proxy.address() as { port: number }).port;
});
afterAll(async () => {
  proxy.close();
  await cleanupProject(p);
  d.remove();
});

describe('more flags', () => {
  it('up --no-start creates only; up --wait waits for healthy; DOCKER_HOST=tcp:// works', async () => {
    expect((await run('up', '--no-start')).code).toBe(0);
    expect((await runtime.inspectContainer(`${p}-db-1`)).status).toBe('created');
    const r = await cli(['-p', p, '--progress', 'plain', 'up', '--wait'], { cwd: d.dir, env: { DOCKER_HOST: `tcp://127.0.0.1:${proxyPort}` } });
    expect(r.code, r.stderr).toBe(0);
    // The optional dependency on the profile-disabled `cache` did not block web (the loader drops it).
    expect((await runtime.inspectContainer(`${p}-web-1`)).running).toBe(true);
    expect((await runtime.inspectContainer(`${p}-db-1`)).health?.status).toBe('healthy');
  });

  it('restart: true restarts a dependent (same container) when its dependency is recreated', async () => {
    const before = await runtime.inspectContainer(`${p}-web-1`);
    writeFileSync(join(d.dir, 'compose.yaml'), readFileSync(join(d.dir, 'compose.yaml'), 'utf8').replace('interval: 200ms', 'interval: 300ms'));
    const r = await run('up', '-d');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Container ${p}-web-1  Restarting`);
    const web = await runtime.inspectContainer(`${p}-web-1`);
    expect(web.id).toBe(before.id);
    expect(Date.parse(web.startedAt!)).toBeGreaterThan(Date.parse(before.startedAt!));
    const db = await runtime.inspectContainer(`${p}-db-1`);
    expect(Date.parse(web.startedAt!)).toBeGreaterThan(Date.parse(db.startedAt!));
  });

  it('logs -f follows and --since filters', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'tscompose.mjs'), '-p', p, 'logs', '-f', '--since', '1s', 'web'], { cwd: d.dir });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await eventually(async () => (out.match(/tick/g)?.length ?? 0) >= 5, 'five new ticks while following', 15_000);
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 1500));
    const all = (await run('logs', 'web')).stdout.split('\n').length;
    const recent = (await run('logs', '--since', '1s', 'web')).stdout.split('\n').length;
    expect(recent).toBeLessThan(all);
    expect(recent).toBeLessThanOrEqual(16); // --since has one-second granularity: about two seconds of ticks
  });

  it('events --json reports container actions of the project', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'tscompose.mjs'), '-p', p, 'events', '--json'], { cwd: d.dir });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((r) => setTimeout(r, 500)); // let the events stream connect
    expect((await run('restart', 'db')).code).toBe(0);
    await eventually(async () => out.includes('"action":"restart"'), 'restart event', 15_000);
    child.kill('SIGINT');
    const e = JSON.parse(out.split('\n').find((l) => l.includes('"action":"restart"'))!);
    expect(e).toMatchObject({ type: 'container', service: 'db' });
  });

  it('exec gets a real TTY when run on a terminal, and propagates the exit code', () => {
    // `script` gives the CLI a pseudo-terminal, as a user's shell would.
    const r = spawnSync('script', ['-qec', `${process.execPath} ${join(REPO, 'dist', 'tscompose.mjs')} -p ${p} exec web sh -c 'tty; exit 3'`, '/dev/null'], { cwd: d.dir, encoding: 'utf8' });
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.status).toBe(3);
  });

  it('run -p and --service-ports publish ports; --no-deps skips dependencies', async () => {
    const r = await run('run', '-d', '--no-deps', '-p', '127.0.0.1::81', 'web', 'sleep', '30');
    expect(r.code, r.stderr).toBe(0);
    const c = await runtime.inspectContainer(r.stdout.trim());
    expect(c.ports.find((x) => x.containerPort === 81)?.hostIp).toBe('127.0.0.1');
    expect(c.ports.find((x) => x.containerPort === 80)?.hostPort).toBeUndefined();
    const s = await run('run', '-d', '--service-ports', 'web', 'sleep', '30');
    const c2 = await runtime.inspectContainer(s.stdout.trim());
    expect(c2.ports.find((x) => x.containerPort === 80)?.hostPort).toBeGreaterThan(0);
  });
});
