/**
 * Options that reach into the host: devices, privileged, pid/ipc namespaces (host, service:x,
 * container:x); `up --pull` with no registry reachable; `logs --until`. Each asserted on the
 * engine's inspect output and on what a process inside the container sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SLEEPER, TEST_IMAGE, cleanupProject, cli, ensureBuilt, eventually, projectDir, runtime, uniqueProject } from './compose-helpers.js';

const p = uniqueProject('modes');
const outside = `${p}-outside`;
const d = projectDir(`
services:
  dev:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    devices: ["/dev/null:/dev/xnull"]
  priv:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    privileged: true
    profiles: [priv]
  hostns:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    pid: host
    ipc: host
  owner:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3601 & wait"]
  sharer:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    pid: "service:owner"
    ipc: "service:owner"
  joiner:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    pid: "container:${outside}"
    ipc: "container:${outside}"
  talker:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; echo early; sleep 3; echo late; sleep 3600 & wait"]
`);

const inspect = (name: string) => JSON.parse(execFileSync('docker', ['inspect', name], { encoding: 'utf8' }))[0];
const sh = async (container: string, script: string) => runtime.exec(container, { cmd: ['sh', '-c', script] });

beforeAll(async () => {
  ensureBuilt();
  // A container outside the project whose namespaces `joiner` joins (container:NAME).
  execFileSync('docker', ['run', '-d', '--name', outside, '--ipc', 'shareable', TEST_IMAGE, 'sh', '-c', "trap 'exit 0' TERM; sleep 3602 & wait"]);
  const r = await cli(['-p', p, '--progress', 'plain', 'up', '-d'], { cwd: d.dir });
  expect(r.code, r.stderr).toBe(0);
}, 60_000);
afterAll(async () => {
  await cleanupProject(p);
  execFileSync('docker', ['rm', '-f', outside]);
  d.remove();
});

describe('host-facing options', () => {
  it('devices: the host device appears at the target path with rwm permissions', async () => {
    expect(inspect(`${p}-dev-1`).HostConfig.Devices).toEqual([{ PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'rwm' }]);
    const r = await sh(`${p}-dev-1`, 'test -c /dev/xnull && echo hi > /dev/xnull && echo ok');
    expect(r.stdout.trim()).toBe('ok');
  });

  it('privileged: the flag is set, and where the engine may start such containers, every capability is granted', async () => {
    // Created only (create = up --no-start): this machine's engine may be unable to start
    // privileged containers at all (runc: "unable to apply caps" when the host lacks one).
    const r = await cli(['-p', p, '--profile', 'priv', '--progress', 'plain', 'create', 'priv'], { cwd: d.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(inspect(`${p}-priv-1`).HostConfig.Privileged).toBe(true);
    expect(inspect(`${p}-dev-1`).HostConfig.Privileged).toBe(false);
    let engineCanRunPrivileged = true;
    try {
      execFileSync('docker', ['run', '--rm', '--privileged', TEST_IMAGE, 'true'], { stdio: 'ignore' });
    } catch {
      engineCanRunPrivileged = false;
    }
    if (!engineCanRunPrivileged) return;
    const s = await cli(['-p', p, '--profile', 'priv', 'start', 'priv'], { cwd: d.dir });
    expect(s.code, s.stderr).toBe(0);
    const capEff = async (c: string) => /CapEff:\s*([0-9a-f]+)/.exec((await sh(c, 'cat /proc/self/status')).stdout)![1]!;
    const host = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    expect(await capEff(`${p}-priv-1`)).toBe(host);
    expect(await capEff(`${p}-dev-1`)).not.toBe(host);
  });

  it('pid/ipc host: the container sees the host pid and ipc namespaces', async () => {
    expect(inspect(`${p}-hostns-1`).HostConfig).toMatchObject({ PidMode: 'host', IpcMode: 'host' });
    const ns = async (kind: string) => (await sh(`${p}-hostns-1`, `readlink /proc/self/ns/${kind}`)).stdout.trim();
    expect(await ns('pid')).toBe(execFileSync('readlink', ['/proc/self/ns/pid'], { encoding: 'utf8' }).trim());
    expect(await ns('ipc')).toBe(execFileSync('readlink', ['/proc/self/ns/ipc'], { encoding: 'utf8' }).trim());
  });

  it('pid/ipc service:x: the container joins the namespaces of the service\'s container', async () => {
    const owner = inspect(`${p}-owner-1`);
    expect(inspect(`${p}-sharer-1`).HostConfig).toMatchObject({ PidMode: `container:${owner.Id}`, IpcMode: `container:${owner.Id}` });
    for (const kind of ['pid', 'ipc']) {
      const a = (await sh(`${p}-owner-1`, `readlink /proc/self/ns/${kind}`)).stdout.trim();
      const b = (await sh(`${p}-sharer-1`, `readlink /proc/self/ns/${kind}`)).stdout.trim();
      expect(b, kind).toBe(a);
    }
    // Sharing the pid namespace: the owner's sleep is visible from the sharer.
    expect((await sh(`${p}-sharer-1`, 'ps')).stdout).toContain('sleep 3601');
  });

  it('pid/ipc container:NAME: the container joins a container outside the project', async () => {
    const o = inspect(outside);
    expect(inspect(`${p}-joiner-1`).HostConfig).toMatchObject({ PidMode: `container:${o.Id}`, IpcMode: `container:${o.Id}` });
    expect((await sh(`${p}-joiner-1`, 'ps')).stdout).toContain('sleep 3602');
  });
});

describe('service: namespaces over a recreate', () => {
  it('recreating a service recreates the containers that joined its namespaces, onto the new container; the rest is untouched', async () => {
    const ids = async () => Object.fromEntries((await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } })).map((c) => [c.name, c.id]));
    const before = await ids();
    const file = join(d.dir, 'compose.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  owner:\n', '  owner:\n    environment: {V: "2"}\n'));
    const r = await cli(['-p', p, '--progress', 'plain', 'up', '-d'], { cwd: d.dir });
    expect(r.code, r.stderr).toBe(0);
    const after = await ids();
    const owner = after[`${p}-owner-1`]!;
    expect(owner).not.toBe(before[`${p}-owner-1`]);
    expect(after[`${p}-sharer-1`]).not.toBe(before[`${p}-sharer-1`]);
    for (const svc of ['dev', 'hostns', 'joiner', 'talker']) expect(after[`${p}-${svc}-1`], svc).toBe(before[`${p}-${svc}-1`]);
    expect(inspect(`${p}-sharer-1`).HostConfig).toMatchObject({ PidMode: `container:${owner}`, IpcMode: `container:${owner}` });
    expect((await sh(`${p}-sharer-1`, 'ps')).stdout).toContain('sleep 3601');
  });
});

describe('run and service: namespaces', () => {
  it('run of a service joining another\'s namespaces starts that service first', async () => {
    expect((await cli(['-p', p, 'stop', 'owner', 'sharer'], { cwd: d.dir })).code).toBe(0);
    const r = await cli(['-p', p, '--progress', 'plain', 'run', '--rm', 'sharer', 'ps'], { cwd: d.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('sleep 3601');
    expect((await runtime.inspectContainer(`${p}-owner-1`)).status).toBe('running');
  });
});

describe('up --pull without a registry', () => {
  const missing = uniqueProject('pullmiss');
  // A registry name on a loopback port where nothing listens: the pull fails on this machine.
  const mirror = `127.0.0.1:9/tscompose-test/busybox:${missing}`;
  const m = projectDir(`
services:
  local:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
  mirror:
    image: ${mirror}
    command: ${SLEEPER}
  ghost:
    image: tscompose-test/not-here:${missing}
    command: ${SLEEPER}
`);
  const run = (...a: string[]) => cli(['-p', missing, '--progress', 'plain', ...a], { cwd: m.dir });
  beforeAll(async () => {
    const [repo, tag] = [mirror.slice(0, mirror.lastIndexOf(':')), missing];
    await runtime.tagImage(TEST_IMAGE, repo, tag);
  });
  afterAll(async () => {
    await cleanupProject(missing);
    await runtime.removeImage(mirror).catch(() => undefined);
    m.remove();
  });

  it('missing (and build, for a service without build:) uses the local image offline', async () => {
    for (const policy of ['missing', 'build']) {
      const r = await run('up', '-d', '--pull', policy, 'local');
      expect(r.code, `${policy}: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toContain('Pulling');
      expect((await runtime.inspectContainer(`${missing}-local-1`)).status).toBe('running');
    }
  });

  it('never with a missing image fails before creating anything, naming the image', async () => {
    await run('down');
    const r = await run('up', '-d', '--pull', 'never');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`service ghost: image tscompose-test/not-here:${missing} is not present locally and --pull never forbids pulling it`);
    expect(r.stderr).toContain('hint:');
    expect(r.stderr).not.toContain('Pulling');
    expect(await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': missing } })).toEqual([]);
  });

  it('always fails clearly when the registry is unreachable, even for a local image', async () => {
    const r = await run('up', '-d', '--pull', 'always', 'mirror');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tscompose: service mirror: cannot pull ${mirror}: registry 127.0.0.1:9 is unreachable (connection refused) (--pull always pulls even a local image)`);
    expect(r.stderr).toContain('hint: the image is present locally: --pull missing');
    expect(r.stderr).not.toMatch(/at .*\.(ts|js|mjs):\d+/);
    expect(await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': missing } })).toEqual([]);
  });

  it('an unknown policy is an error listing the valid ones', async () => {
    const r = await run('up', '-d', '--pull', 'sometimes');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid --pull value "sometimes"');
    expect(r.stderr).toContain('always, missing, never, build');
  });
});

describe('logs --until', () => {
  it('shows only the lines written before the given time', async () => {
    const all = await eventually(async () => {
      const r = await cli(['-p', p, 'logs', '-t', '--no-log-prefix', 'talker'], { cwd: d.dir });
      return r.stdout.includes('late') ? r.stdout : undefined;
    }, 'both lines', 15_000, 250);
    const early = all.split('\n').find((l) => l.endsWith('early'))!;
    const t = Date.parse(early.split(' ')[0]!);
    // One second after the first line (the second came three seconds after it), as RFC 3339 and as Unix seconds.
    for (const until of [new Date(t + 1000).toISOString(), String(Math.ceil(t / 1000) + 1)]) {
      const r = await cli(['-p', p, 'logs', '--no-log-prefix', '--until', until, 'talker'], { cwd: d.dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, until).toBe('early\n');
    }
    // A duration counts back from now: everything was written less than an hour ago.
    const r = await cli(['-p', p, 'logs', '--no-log-prefix', '--until', '1h', 'talker'], { cwd: d.dir });
    expect(r.stdout).toBe('');
  });
});
