/**
 * Every command against the real engine, one project per describe, state asserted with inspect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SLEEPER, TEST_IMAGE, cleanupProject, cli, ensureBuilt, eventually, projectDir, runtime, uniqueProject } from './compose-helpers.js';

const p = uniqueProject('cmd');
const d = projectDir(`
services:
  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web says hello; echo web warns >&2; sleep 3600 & wait"]
    ports: ["80"]
    environment: {GREETING: hi}
  db:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    volumes: [data:/data]
volumes:
  data: {}
`);
const run = (...a: string[]) => cli(['-p', p, '--progress', 'plain', ...a], { cwd: d.dir });
const name = (svc: string, n = 1) => `${p}-${svc}-${n}`;

beforeAll(async () => {
  ensureBuilt();
  const r = await run('up', '-d', '--scale', 'web=2');
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await cleanupProject(p);
  d.remove();
});

describe('commands', () => {
  it('ps: table, -q, --services, --format json, -a and --status', async () => {
    const table = await run('ps');
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS/);
    expect(table.stdout).toContain(name('web', 2));
    const ids = (await run('ps', '-q')).stdout.trim().split('\n');
    expect(ids).toHaveLength(3);
    expect((await run('ps', '--services')).stdout).toBe('db\nweb\n');
    const json = (await run('ps', '--format', 'json')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { Name: string; Service: string; State: string; Publishers: Array<{ TargetPort: number; PublishedPort: number }> });
    expect(json.map((c) => c.Name)).toEqual([name('db'), name('web'), name('web', 2)]);
    expect(json[1]!.Publishers[0]!.TargetPort).toBe(80);
    expect(json[1]!.Publishers[0]!.PublishedPort).toBeGreaterThan(0);
  });

  it('logs: prefixes, --no-log-prefix, --tail, per service, stderr kept apart', async () => {
    await eventually(async () => (await run('logs', 'web')).stdout.includes('web says hello'), 'web logs');
    const r = await run('logs', 'web');
    expect(r.stdout).toMatch(/^web-1\s+\| web says hello$/m);
    expect(r.stdout).toMatch(/^web-2\s+\| web says hello$/m);
    expect(r.stderr).toMatch(/web-1\s+\| web warns/);
    expect(r.stdout).not.toContain('db-1');
    const bare = await run('logs', '--no-log-prefix', '--index', '1', 'web');
    expect(bare.stdout).toBe('web says hello\n');
    // The last two lines of each container: its stdout and its stderr line.
    const ts = await run('logs', '-t', '--tail', '2', 'web');
    expect(ts.stdout).toMatch(/\| \d{4}-\d\d-\d\dT[\d:.]+Z web says hello/);
  });

  it('exec: exit code, -e, -w, -u, --index', async () => {
    const r = await run('exec', '-T', '-e', 'X=42', '-w', '/tmp', '--index', '2', 'web', 'sh', '-c', 'echo $X $GREETING $(pwd) $(hostname); exit 7');
    expect(r.code).toBe(7);
    const info = await runtime.inspectContainer(name('web', 2));
    expect(r.stdout.trim()).toBe(`42 hi /tmp ${info.id.slice(0, 12)}`);
    const u = await run('exec', '-T', '-u', 'nobody', 'web', 'id', '-u');
    expect(u.stdout.trim()).toBe('65534');
  });

  it('run: one-off container with label, --rm, -e, --entrypoint, exit code', async () => {
    const r = await run('run', '--rm', '-T', '-e', 'Y=1', 'web', 'sh', '-c', 'echo run $Y $GREETING; exit 3');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('run 1 hi');
    const left = await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p, 'com.docker.compose.oneoff': 'True' } });
    expect(left).toEqual([]);
    const kept = await run('run', '-d', '--entrypoint', 'sleep', 'db', '30');
    expect(kept.code).toBe(0);
    const c = await runtime.inspectContainer(kept.stdout.trim());
    expect(c.labels['com.docker.compose.oneoff']).toBe('True');
    expect(c.name).toMatch(new RegExp(`^${p}-db-run-[0-9a-f]{12}$`));
    await runtime.removeContainer(c.id, { force: true });
  });

  it('port, top, images, ls', async () => {
    const port = await run('port', 'web', '80');
    const info = await runtime.inspectContainer(name('web'));
    expect(port.stdout.trim()).toBe(`0.0.0.0:${info.ports.find((x) => x.hostIp === '0.0.0.0')!.hostPort}`);
    expect((await run('top', 'db')).stdout).toMatch(/sleep 3600/);
    expect((await run('images')).stdout).toContain('tscompose-test/busybox');
    const ls = await cli(['ls', '--format', 'json']);
    expect((JSON.parse(ls.stdout) as Array<{ Name: string; Status: string }>).find((x) => x.Name === p)?.Status).toBe('running(3)');
  });

  it('cp: into and out of a service container', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tscp-'));
    try {
      writeFileSync(join(tmp, 'in.txt'), 'copied in\n');
      expect((await run('cp', join(tmp, 'in.txt'), 'db:/data/')).code).toBe(0);
      const r = await runtime.exec(name('db'), { cmd: ['cat', '/data/in.txt'] });
      expect(r.stdout).toBe('copied in\n');
      expect((await run('cp', 'db:/data/in.txt', join(tmp, 'out.txt'))).code).toBe(0);
      expect(readFileSync(join(tmp, 'out.txt'), 'utf8')).toBe('copied in\n');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('stop, start, restart, pause, unpause, kill, rm', async () => {
    expect((await run('stop', 'db')).code).toBe(0);
    expect((await runtime.inspectContainer(name('db'))).status).toBe('exited');
    expect((await run('ps', '-a', '--status', 'exited', '--services')).stdout).toBe('db\n');
    expect((await run('start', 'db')).code).toBe(0);
    const started = await runtime.inspectContainer(name('db'));
    expect(started.running).toBe(true);
    expect((await run('restart', 'db')).code).toBe(0);
    expect(Date.parse((await runtime.inspectContainer(name('db'))).startedAt!)).toBeGreaterThan(Date.parse(started.startedAt!));
    expect((await run('pause', 'db')).code).toBe(0);
    expect((await runtime.inspectContainer(name('db'))).paused).toBe(true);
    expect((await run('unpause', 'db')).code).toBe(0);
    expect((await runtime.inspectContainer(name('db'))).paused).toBe(false);
    expect((await run('kill', '-s', 'SIGKILL', 'db')).code).toBe(0);
    expect((await runtime.inspectContainer(name('db'))).exitCode).toBe(137);
    expect((await run('rm', '-f', 'db')).code).toBe(0);
    await expect(runtime.inspectContainer(name('db'))).rejects.toMatchObject({ kind: 'not-found' });
    expect((await run('rm', '-f', '-s', 'web')).code).toBe(0);
    expect((await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } }))).toEqual([]);
  });

  it('create then start; wait prints the exit code; down -v removes volumes', async () => {
    expect((await run('create', 'db')).code).toBe(0);
    expect((await runtime.inspectContainer(name('db'))).status).toBe('created');
    expect((await run('start', 'db')).code).toBe(0);
    expect((await runtime.inspectContainer(name('db'))).running).toBe(true);
    const waiting = run('wait', 'db');
    await run('kill', '-s', 'SIGKILL', 'db');
    const w = await waiting;
    expect(w.stdout.trim()).toBe('137');
    expect((await run('down', '-v')).code).toBe(0);
    expect(await runtime.listVolumes({ labels: { 'com.docker.compose.project': p } })).toEqual([]);
    expect(await runtime.listNetworks({ labels: { 'com.docker.compose.project': p } })).toEqual([]);
  });
});

describe('attached up', () => {
  it('streams prefixed logs and returns --exit-code-from', async () => {
    const q = uniqueProject('att');
    const dir = projectDir(`
services:
  job:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "sleep 0.5; echo job done; exit 5"]
  server:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
`);
    try {
      const r = await cli(['-p', q, '--progress', 'plain', 'up', '--exit-code-from', 'job'], { cwd: dir.dir });
      expect(r.code).toBe(5);
      expect(r.stdout).toMatch(/^job-1\s+\| job done$/m);
      expect(r.stdout).toContain('job-1 exited with code 5');
      // --abort-on-container-exit stopped the other service.
      expect((await runtime.inspectContainer(`${q}-server-1`)).running).toBe(false);
    } finally {
      await cleanupProject(q);
      dir.remove();
    }
  });
});

describe('attached up with --attach / --no-attach', () => {
  it('streams only the attached services', async () => {
    const q = uniqueProject('attsel');
    const dir = projectDir(`
services:
  a: {image: ${TEST_IMAGE}, command: ["sh", "-c", "echo from-a"]}
  b: {image: ${TEST_IMAGE}, command: ["sh", "-c", "echo from-b"]}
  c: {image: ${TEST_IMAGE}, command: ["sh", "-c", "echo from-c"]}
`);
    try {
      const r = await cli(['-p', q, '--progress', 'plain', 'up', '--no-attach', 'b'], { cwd: dir.dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^a-1\s+\| from-a$/m);
      expect(r.stdout).toMatch(/^c-1\s+\| from-c$/m);
      expect(r.stdout).not.toContain('from-b');
      const only = await cli(['-p', q, '--progress', 'plain', 'up', '--attach', 'b', '--force-recreate'], { cwd: dir.dir });
      expect(only.stdout).toMatch(/^b-1\s+\| from-b$/m);
      expect(only.stdout).not.toContain('from-a');
    } finally {
      await cleanupProject(q);
      dir.remove();
    }
  });
});

describe('build', () => {
  it('builds from a Dockerfile with args and labels; up --build recreates on a new image; down --rmi local removes it', async () => {
    const q = uniqueProject('bld');
    const dir = projectDir(`
services:
  site:
    build: {context: ., args: {WORD: first}, labels: {made.by: test}}
    command: ${SLEEPER}
`, { Dockerfile: `FROM ${TEST_IMAGE}\nARG WORD\nRUN echo $WORD > /word\n` });
    const r = (...a: string[]) => cli(['-p', q, '--progress', 'plain', ...a], { cwd: dir.dir });
    try {
      expect((await r('build')).code).toBe(0);
      const img = await runtime.inspectImage(`${q}-site`);
      expect(img.labels).toMatchObject({ 'made.by': 'test', 'com.docker.compose.project': q });
      expect((await r('up', '-d')).code).toBe(0);
      const first = await runtime.inspectContainer(`${q}-site-1`);
      expect((await runtime.exec(first.id, { cmd: ['cat', '/word'] })).stdout).toBe('first\n');
      writeFileSync(join(dir.dir, 'compose.yaml'), readFileSync(join(dir.dir, 'compose.yaml'), 'utf8').replace('first', 'second'));
      expect((await r('up', '-d', '--build')).code).toBe(0);
      const second = await runtime.inspectContainer(`${q}-site-1`);
      expect(second.id).not.toBe(first.id);
      expect((await runtime.exec(second.id, { cmd: ['cat', '/word'] })).stdout).toBe('second\n');
      expect((await r('down', '--rmi', 'local')).code).toBe(0);
      await expect(runtime.inspectImage(`${q}-site`)).rejects.toMatchObject({ kind: 'not-found' });
    } finally {
      await cleanupProject(q);
      dir.remove();
      void existsSync;
    }
  });
});
