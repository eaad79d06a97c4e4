/**
 * `run` against the real engine: one-off naming and labels, exit codes, --rm, overrides (-e,
 * --entrypoint, -u, -w, -l, -v, --name), ports (-p, --service-ports), detach, stdin, and
 * dependencies (started through up, or left alone with --no-deps).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './compose-helpers.js';
import { TEST_IMAGE, ensureBuilt, opsProject, runtime } from './helpers/ops-project.js';

const p = opsProject('opsrun', `
services:
  app:
    image: ${TEST_IMAGE}
    command: ["echo", "default-command"]
    environment:
      FROM_FILE: compose
    ports: ["8080"]
    depends_on: [db]
    volumes: [data:/data]
  db:
    image: ${TEST_IMAGE}
    init: true
    command: ["sleep", "1000"]
volumes:
  data: {}
`);

const oneOffs = async () =>
  runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p.name, 'com.docker.compose.oneoff': 'True' } });

beforeAll(() => {
  ensureBuilt();
  mkdirSync(join(p.dir, 'host'));
  writeFileSync(join(p.dir, 'host', 'hello.txt'), 'from-host\n');
  writeFileSync(join(p.dir, 'extra.env'), '# comment\nFROM_ENV_FILE=yes\n');
});

afterAll(async () => {
  await p.cleanup();
});

describe('tscompose run', () => {
  it('starts dependencies first, runs the service command in a labelled one-off, and --rm removes it', async () => {
    const r = await p.cli(['run', '--rm', 'app']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('default-command\n');
    const db = await runtime.listContainers({ labels: { 'com.docker.compose.project': p.name, 'com.docker.compose.service': 'db' } });
    expect(db.map((c) => c.status)).toEqual(['running']);
    expect(await oneOffs()).toEqual([]);
  });

  it("propagates the container's exit code and keeps it without --rm, named <project>-<service>-run-<12 hex>", async () => {
    const r = await p.cli(['run', '--no-deps', 'app', 'sh', '-c', 'echo bye; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('bye\n');
    const list = await oneOffs();
    expect(list).toHaveLength(1);
    expect(list[0]!.name).toMatch(new RegExp(`^${p.name}-app-run-[0-9a-f]{12}$`));
    expect(list[0]!.labels).toMatchObject({ 'com.docker.compose.service': 'app', 'com.docker.compose.oneoff': 'True' });
    expect(list[0]!.status).toBe('exited');
    await runtime.removeContainer(list[0]!.id, { force: true });
  });

  it('applies -e, --env-from-file, -u, -w, -l and --name', async () => {
    const r = await p.cli(['run', '--no-deps', '--name', `${p.name}-custom`, '-e', 'X=1', '-e', 'FROM_FILE=cli', '--env-from-file', 'extra.env', '-u', '4321', '-w', '/tmp', '-l', 'team=ops', 'app', 'sh', '-c', 'echo $X $FROM_FILE $FROM_ENV_FILE $(id -u) $(pwd)']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('1 cli yes 4321 /tmp\n');
    const info = await runtime.inspectContainer(`${p.name}-custom`);
    expect(info.labels).toMatchObject({ team: 'ops', 'com.docker.compose.oneoff': 'True' });
    await runtime.removeContainer(info.id, { force: true });
  });

  it('--entrypoint replaces the entrypoint (shell words) and drops the service command', async () => {
    const r = await p.cli(['run', '--rm', '--no-deps', '--entrypoint', "sh -c 'echo ep:$0'", 'app']);
    expect(r.stdout).toBe('ep:sh\n');
    const withCmd = await p.cli(['run', '--rm', '--no-deps', '--entrypoint', 'echo', 'app', 'a', 'b']);
    expect(withCmd.stdout).toBe('a b\n');
  });

  it('-v mounts a host path (relative to the current directory) and a project volume', async () => {
    const r = await p.cli(['run', '--rm', '--no-deps', '-v', './host:/host:ro', 'app', 'sh', '-c', 'cat /host/hello.txt; echo v > /data/f; touch /host/x 2>/dev/null || echo read-only']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('from-host\nread-only\n');
    const vols = await runtime.listVolumes({ labels: { 'com.docker.compose.project': p.name } });
    expect(vols.map((v) => v.name)).toContain(`${p.name}_data`);
  });

  it('publishes no ports by default, the service ports with --service-ports, and -p mappings', async () => {
    const plain = await p.cli(['run', '-d', '--no-deps', 'app', 'sleep', '30']);
    expect(plain.code, plain.stderr).toBe(0);
    const id = plain.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await runtime.inspectContainer(id)).ports.filter((x) => x.hostPort)).toEqual([]);
    const sp = await p.cli(['run', '-d', '--no-deps', '--service-ports', 'app', 'sleep', '30']);
    const spPorts = (await runtime.inspectContainer(sp.stdout.trim())).ports.filter((x) => x.hostPort);
    expect(spPorts.map((x) => x.containerPort)).toContain(8080);
    const pub = await p.cli(['run', '-d', '--no-deps', '-p', '127.0.0.1::9999/udp', 'app', 'sleep', '30']);
    const pubPorts = (await runtime.inspectContainer(pub.stdout.trim())).ports.filter((x) => x.hostPort);
    expect(pubPorts).toEqual([expect.objectContaining({ containerPort: 9999, protocol: 'udp', hostIp: '127.0.0.1' })]);
    const bad = await p.cli(['run', '--no-deps', '-p', 'nonsense', 'app']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid port mapping "nonsense"/);
    for (const c of await oneOffs()) await runtime.removeContainer(c.id, { force: true });
  });

  it('forwards stdin (-i is the default) and -T keeps it without a TTY', async () => {
    const r = await p.cli(['run', '--rm', '--no-deps', '-T', 'app', 'sh', '-c', 'tr a-z A-Z; tty || true'], { input: 'piped\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('PIPED\nnot a tty\n');
  });

  it('on a terminal allocates a TTY and still returns the exit code', async () => {
    const bin = JSON.stringify(join(REPO, 'bin', 'tscompose.mjs'));
    const r = spawnSync('script', ['-qfec', `node ${bin} -p ${p.name} run --rm --no-deps app sh -c 'tty; exit 9'`, '/dev/null'], { cwd: p.dir, input: '', encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(9);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    const noTty = spawnSync('script', ['-qfec', `node ${bin} -p ${p.name} run --rm --no-deps -T app sh -c 'tty; exit 0'`, '/dev/null'], { cwd: p.dir, input: '', encoding: 'utf8', timeout: 30_000 });
    expect(noTty.stdout).toContain('not a tty');
  });

  it('--no-deps leaves missing dependencies alone; without it they are created', async () => {
    await runtime.removeContainer(`${p.name}-db-1`, { force: true });
    const r = await p.cli(['run', '--rm', '--no-deps', 'app', 'true']);
    expect(r.code).toBe(0);
    expect(await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p.name, 'com.docker.compose.service': 'db' } })).toEqual([]);
    const withDeps = await p.cli(['run', '--rm', 'app', 'true']);
    expect(withDeps.code, withDeps.stderr).toBe(0);
    const db = await runtime.listContainers({ labels: { 'com.docker.compose.project': p.name, 'com.docker.compose.service': 'db' } });
    expect(db.map((c) => c.status)).toEqual(['running']);
  });

  it('an unknown service is a one-line error with a suggestion', async () => {
    const r = await p.cli(['run', 'ap', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tscompose: no such service: ap\nhint: did you mean "app"?\n');
  });
});
