/**
 * The state-changing and inspecting day-2 commands against the real engine: stop/start/restart
 * (order, -t), kill -s, pause/unpause, rm (prompt, -f, -s, -v), wait, top, port, images, events, ls.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './compose-helpers.js';
import { TEST_IMAGE, ensureBuilt, eventually, opsProject, runtime } from './helpers/ops-project.js';

const p = opsProject('opslife', `
services:
  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'echo got-term; exit 0' TERM; trap 'echo got-usr1' USR1; while true; do sleep 0.2; done"]
    scale: 2
    ports: ["80", "53/udp"]
    depends_on: [db]
  db:
    image: ${TEST_IMAGE}
    init: true
    command: ["sleep", "1000"]
    volumes: ["/anon"]
  job:
    image: ${TEST_IMAGE}
    profiles: [jobs]
    command: ["sh", "-c", "sleep 1; exit 4"]
  stubborn:
    image: ${TEST_IMAGE}
    profiles: [jobs]
    command: ["sleep", "1000"]
  checked:
    image: ${TEST_IMAGE}
    init: true
    profiles: [jobs]
    command: ["sh", "-c", "sleep 1; touch /ready; sleep 1000"]
    healthcheck: { test: ["CMD", "test", "-f", "/ready"], interval: 200ms, retries: 100 }
  sick:
    image: ${TEST_IMAGE}
    init: true
    profiles: [jobs]
    command: ["sleep", "1000"]
    healthcheck: { test: ["CMD", "false"], interval: 200ms, retries: 1 }
`);

const labels = { 'com.docker.compose.project': p.name };
const state = async (name: string) => (await runtime.inspectContainer(`${p.name}-${name}`)).status;

beforeAll(async () => {
  ensureBuilt();
  const up = await p.cli(['up', '-d']);
  expect(up.code, up.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await p.cleanup();
});

describe('stop, start, restart', () => {
  it('stop stops dependents before their dependencies and reports each container', async () => {
    const r = await p.cli(['stop']);
    expect(r.code, r.stderr).toBe(0);
    const order = [...r.stderr.matchAll(/Container (\S+)\s+Stopped/g)].map((m) => m[1]);
    expect(order.indexOf(`${p.name}-db-1`)).toBe(2);
    expect(await state('web-1')).toBe('exited');
    expect(await state('db-1')).toBe('exited');
  });

  it('start starts dependencies first', async () => {
    const r = await p.cli(['start']);
    expect(r.code, r.stderr).toBe(0);
    const order = [...r.stderr.matchAll(/Container (\S+)\s+Started/g)].map((m) => m[1]);
    expect(order[0]).toBe(`${p.name}-db-1`);
    expect(await state('web-2')).toBe('running');
  });

  it('stop -t 0 kills at once a container that ignores SIGTERM', async () => {
    const up = await p.cli(['--profile', 'jobs', 'up', '-d', 'stubborn']);
    expect(up.code, up.stderr).toBe(0);
    const t0 = Date.now();
    const r = await p.cli(['--profile', 'jobs', 'stop', '-t', '0', 'stubborn']);
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect((await runtime.inspectContainer(`${p.name}-stubborn-1`)).exitCode).toBe(137);
  });

  it('restart restarts the named service (its containers get a new start time)', async () => {
    const before = (await runtime.inspectContainer(`${p.name}-web-1`)).startedAt;
    const r = await p.cli(['restart', '-t', '5', 'web']);
    expect(r.code, r.stderr).toBe(0);
    const after = await runtime.inspectContainer(`${p.name}-web-1`);
    expect(after.running).toBe(true);
    expect(after.startedAt).not.toBe(before);
    const logs = await p.cli(['logs', '--no-log-prefix', '--index', '1', 'web']);
    expect(logs.stdout).toContain('got-term');
  });

  it('start --wait returns once the containers are healthy; an unhealthy one fails it', async () => {
    const created = await p.cli(['--profile', 'jobs', 'create', 'checked', 'sick']);
    expect(created.code, created.stderr).toBe(0);
    const r = await p.cli(['--profile', 'jobs', 'start', '--wait', 'checked'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect((await runtime.inspectContainer(`${p.name}-checked-1`)).health?.status).toBe('healthy');
    const sick = await p.cli(['--profile', 'jobs', 'start', '--wait', '--wait-timeout', '10', 'sick'], { timeoutMs: 30_000 });
    expect(sick.code).toBe(1);
    expect(sick.stderr).toMatch(/sick-1 is unhealthy/);
    await p.cli(['--profile', 'jobs', 'stop', '-t', '0', 'checked', 'sick']);
  });

  it('start on a project without containers suggests up', async () => {
    const r = await p.cli(['--profile', 'jobs', 'start', 'job']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no containers found for services job of project .*\nhint: create them with: tscompose up -d job/);
  });
});

describe('kill, pause, unpause', () => {
  it('kill -s sends the signal', async () => {
    const r = await p.cli(['kill', '-s', 'USR1', 'web']);
    expect(r.code, r.stderr).toBe(0);
    await eventually(async () => (await p.cli(['logs', '--no-log-prefix', 'web'])).stdout.includes('got-usr1'), 'USR1 handled');
    expect(await state('web-1')).toBe('running');
  });

  it('pause freezes the containers and unpause thaws them', async () => {
    expect((await p.cli(['pause', 'db'])).code).toBe(0);
    expect(await state('db-1')).toBe('paused');
    expect((await p.cli(['unpause', 'db'])).code).toBe(0);
    expect(await state('db-1')).toBe('running');
  });

  it('kill defaults to SIGKILL', async () => {
    const r = await p.cli(['kill', 'db']);
    expect(r.code).toBe(0);
    const info = await runtime.inspectContainer(`${p.name}-db-1`);
    expect(info.running).toBe(false);
    expect(info.exitCode).toBe(137);
  });
});

describe('rm', () => {
  it('on a pipe, asks and removes nothing unless answered yes', async () => {
    const no = await p.cli(['rm', 'db'], { input: '\n' });
    expect(no.code).toBe(0);
    expect(no.stdout).toContain(`Going to remove ${p.name}-db-1`);
    expect(await state('db-1')).toBe('exited');
    const yes = await p.cli(['rm', 'db'], { input: 'y\n' });
    expect(yes.code, yes.stderr).toBe(0);
    await expect(runtime.inspectContainer(`${p.name}-db-1`)).rejects.toThrow(/no such container|not found/i);
  });

  it('on a terminal, asks Yes/No and removes on y', async () => {
    const up = await p.cli(['up', '-d', '--no-deps', 'db']);
    expect(up.code, up.stderr).toBe(0);
    await p.cli(['stop', '-t', '0', 'db']);
    const r = spawnSync('script', ['-qfec', `node ${JSON.stringify(join(REPO, 'bin', 'tscompose.mjs'))} -p ${p.name} rm db`, '/dev/null'], { cwd: p.dir, input: 'y\n', encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toMatch(new RegExp(`\\? Going to remove ${p.name}-db-1 Yes/No \\[y/N\\]`));
    expect(r.status).toBe(0);
    await expect(runtime.inspectContainer(`${p.name}-db-1`)).rejects.toThrow();
  });

  it('leaves running containers alone ("No stopped containers"), -s stops them first, -f skips the question, -v removes anonymous volumes', async () => {
    const running = await p.cli(['rm', '-f', 'web']);
    expect(running.code).toBe(0);
    expect(running.stderr).toContain('No stopped containers');
    expect(await state('web-1')).toBe('running');
    const up = await p.cli(['up', '-d', '--no-deps', 'db']);
    expect(up.code, up.stderr).toBe(0);
    const anon = (await runtime.inspectContainer(`${p.name}-db-1`)).mounts.find((m) => m.target === '/anon')!.name!;
    const r = await p.cli(['rm', '-s', '-f', '-v', 'db']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Going to remove ${p.name}-db-1`);
    await expect(runtime.inspectVolume(anon)).rejects.toThrow();
  });
});

describe('wait', () => {
  it('blocks until the service stops and exits with its code', async () => {
    const up = await p.cli(['--profile', 'jobs', 'up', '-d', 'job']);
    expect(up.code, up.stderr).toBe(0);
    const r = await p.cli(['--profile', 'jobs', 'wait', 'job'], { timeoutMs: 20_000 });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('4\n');
  });
});

describe('top, port, images', () => {
  it('top lists the processes of each running container', async () => {
    const r = await p.cli(['top', 'web']);
    expect(r.code).toBe(0);
    const blocks = r.stdout.split('\n\n');
    expect(blocks).toHaveLength(2);
    expect(blocks[0]!.split('\n')[0]).toBe(`${p.name}-web-1`);
    expect(blocks[0]!.split('\n')[1]).toMatch(/^UID\s+PID\s+PPID/);
    expect(blocks[0]).toContain('sleep');
  });

  it('port prints the published address; --protocol and --index select; errors explain', async () => {
    const web1 = await runtime.inspectContainer(`${p.name}-web-1`);
    const web2 = await runtime.inspectContainer(`${p.name}-web-2`);
    const tcp = await p.cli(['port', 'web', '80']);
    expect(tcp.stdout).toBe(`0.0.0.0:${web1.ports.find((x) => x.containerPort === 80 && x.hostIp === '0.0.0.0')!.hostPort}\n`);
    const udp = await p.cli(['port', '--protocol', 'udp', '--index', '2', 'web', '53']);
    expect(udp.stdout).toBe(`0.0.0.0:${web2.ports.find((x) => x.containerPort === 53 && x.protocol === 'udp' && x.hostIp === '0.0.0.0')!.hostPort}\n`);
    const none = await p.cli(['port', 'web', '81']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no port 81\/tcp published for .*web-1\nhint: published ports: 53\/udp, 80\/tcp|80\/tcp, 53\/udp/);
    const idx = await p.cli(['port', '--index', '3', 'web', '80']);
    expect(idx.stderr).toMatch(/no container with index 3/);
  });

  it('images lists each container image as a table, json, or ids', async () => {
    const img = await runtime.inspectImage(TEST_IMAGE);
    const table = await p.cli(['images', 'web']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CONTAINER\s+REPOSITORY\s+TAG\s+IMAGE ID\s+SIZE$/);
    expect(lines.slice(1)).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${p.name}-web-1\\s+tscompose-test/busybox\\s+latest\\s+${img.id.slice(7, 19)}\\s+\\d`));
    const json = JSON.parse((await p.cli(['images', '--format', 'json'])).stdout) as Array<Record<string, unknown>>;
    expect(json.map((j) => j.ContainerName).sort()).toEqual(expect.arrayContaining([`${p.name}-web-1`, `${p.name}-web-2`]));
    expect(json[0]).toMatchObject({ ID: img.id, Repository: 'tscompose-test/busybox', Tag: 'latest', Size: img.size });
    const q = await p.cli(['images', '-q']);
    expect(q.stdout).toBe(`${img.id}\n`);
  });
});

describe('events and ls', () => {
  it('events --json streams the project container events', async () => {
    const child = p.spawn(['events', '--json', 'web']);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await p.cli(['kill', '-s', 'USR1', '--', 'web'])).code).toBe(0);
    const lines = await eventually(async () => {
      const ls = child.output().split('\n').filter(Boolean);
      return ls.length >= 2 && ls;
    }, 'two kill events');
    child.kill('SIGINT');
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ type: 'container', service: 'web', action: 'kill' });
    expect((events[0]!.attributes as Record<string, string>).signal).toBe('10');
    expect(Object.keys(events[0]!.attributes as object).some((k) => k.startsWith('com.docker.compose.'))).toBe(false);
  });

  it('events --since/--until replays a past window and ends by itself', async () => {
    const from = Math.floor(Date.now() / 1000) - 1;
    await p.cli(['pause', 'web']);
    await p.cli(['unpause', 'web']);
    await new Promise((r) => setTimeout(r, 1100));
    const r = await p.cli(['events', '--json', '--since', String(from), '--until', String(Math.floor(Date.now() / 1000)), 'web'], { timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    const actions = r.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { action: string }).action);
    expect(actions.filter((a) => a === 'pause')).toHaveLength(2);
    expect(actions.filter((a) => a === 'unpause')).toHaveLength(2);
  });

  it('events prints text lines by default', async () => {
    const child = p.spawn(['events']);
    await new Promise((r) => setTimeout(r, 1000));
    await p.cli(['pause', 'web']);
    await p.cli(['unpause', 'web']);
    const line = await eventually(async () => child.output().split('\n').find((l) => l.includes(' container unpause ')), 'unpause event');
    child.kill('SIGINT');
    expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} container unpause [0-9a-f]{64} \(.*name=.*\)$/);
  });

  it('ls lists the project with its state counts and config file; -a, -q, --filter, --format json', async () => {
    const table = await p.cli(['ls', '--filter', `name=^${p.name}$`]);
    expect(table.stdout.trimEnd().split('\n')).toEqual([expect.stringMatching(/^NAME\s+STATUS\s+CONFIG FILES$/), expect.stringMatching(new RegExp(`^${p.name}\\s+running\\(2\\)\\s+${p.dir}/compose.yaml$`))]);
    const all = JSON.parse((await p.cli(['ls', '-a', '--format', 'json', '--filter', `name=${p.name}`])).stdout) as Array<{ Name: string; Status: string }>;
    expect(all).toHaveLength(1);
    expect(all[0]!.Status).toMatch(/exited\(\d\), running\(2\)/);
    const q = await p.cli(['ls', '-q', '-a']);
    expect(q.stdout.split('\n')).toContain(p.name);
    const bad = await p.cli(['ls', '--filter', 'status=running']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid filter "status=running"\nhint: the only supported filter is name=/);
  });

  it('day-2 commands work by project name alone from a directory without a compose file', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'opsempty-'));
    try {
      const top = await p.cli(['top', 'web'], { cwd: empty });
      expect(top.code, top.stderr).toBe(0);
      expect(top.stdout).toContain(`${p.name}-web-2`);
      const stop = await p.cli(['stop', '-t', '1', 'web'], { cwd: empty });
      expect(stop.code, stop.stderr).toBe(0);
      expect((await runtime.listContainers({ labels })).filter((c) => c.labels['com.docker.compose.service'] === 'web')).toEqual([]);
      // Names are checked against the services that have containers.
      const typo = await p.cli(['start', 'wbe'], { cwd: empty });
      expect(typo.stderr).toMatch(/no such service: wbe\nhint: did you mean "web"\?/);
      // run needs the model: the loader's own error.
      const run = await p.cli(['run', 'web', 'true'], { cwd: empty });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/no configuration file provided/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
