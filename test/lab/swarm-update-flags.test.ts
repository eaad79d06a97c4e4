/**
 * `tsswarm service update`'s Docker add/rm flags, seen on the container itself: one service with
 * one replica on two lab hosts; each flag in turn, then `docker inspect` (and the container's own
 * /etc/resolv.conf, /etc/hosts, /run/secrets) on the node running the task. `--label-add` alone
 * keeps the task. Needs root (see lab-harness.test.ts). Lab `tsupf` on net 11
 * (the harness allows 0..15 and every net is taken: shared with the benches' `tsbb`, which never run
 * beside lab files).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/swarm/api/views.js';
import { Lab, teardownLab, type LabConfig } from './harness.js';
import { SwarmNodes } from './swarm-nodes.js';

const CFG: LabConfig = { name: 'tsupf', net: 11 };
const HOSTS = ['h1', 'h2'];
const IMAGE = 'tscompose-test/busybox:latest';
const SVC = 'upf';

let lab: Lab;
let sw: SwarmNodes;

interface Inspect {
  Id: string;
  Config: { Env: string[]; Labels: Record<string, string>; Cmd: string[] | null };
  HostConfig: { Dns: string[] | null; DnsOptions: string[] | null; DnsSearch: string[] | null; ExtraHosts: string[] | null; GroupAdd: string[] | null };
  Mounts: Array<{ Destination: string; Source: string; Type: string }>;
}

/** The running task, its node and its container as that node's engine shows it. */
async function running(): Promise<{ task: TaskView; c: Inspect; node: string }> {
  const { tasks } = await sw.local<{ tasks: TaskView[] }>('h1', `/v1/services/${SVC}/tasks`);
  const live = tasks.filter((t) => t.desiredState === 'running' && t.state === 'running');
  if (live.length !== 1) throw new Error(`expected one running task, got ${JSON.stringify(tasks.map((t) => [t.id, t.state, t.desiredState]))}`);
  const task = live[0]!;
  const { id } = await sw.taskContainer(task.node, SVC);
  const c = (JSON.parse((await lab.docker(task.node, ['inspect', id])).stdout) as Inspect[])[0]!;
  return { task, c, node: task.node };
}

async function update(...args: string[]): Promise<{ task: TaskView; c: Inspect; node: string; stderr: string }> {
  const r = await sw.cli('h1', ['service', 'update', ...args, SVC], 90_000);
  if (r.code !== 0) throw new Error(`service update ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return { ...(await running()), stderr: r.stderr };
}

async function inTask(node: string, id: string, cmd: string[]): Promise<string> {
  return (await lab.docker(node, ['exec', id, ...cmd])).stdout;
}

describe('service update add/rm flags on the container', () => {
  beforeAll(async () => {
    await teardownLab(CFG);
    lab = await Lab.up({ ...CFG, hosts: HOSTS.length });
    sw = new SwarmNodes(lab);
    await sw.form(HOSTS);
    const s = await sw.cli('h1', ['secret', 'create', 'tok', '-'], 30_000, 's3cret\n');
    expect(s.code).toBe(0);
    // A quick stop: busybox as PID 1 ignores SIGTERM otherwise (DESIGN.md).
    const c = await sw.cli('h1', ['service', 'create', '--name', SVC, '--replicas', '1', '--update-monitor', '0s', '--init', '--env', 'A=1', IMAGE, 'sleep', '3600'], 120_000);
    expect(c.code, c.stderr).toBe(0);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    sw.dumpLogs(HOSTS);
  });

  afterAll(async () => {
    if (process.env.TSLAB_KEEP === '1') return;
    await sw?.stopAll();
    await lab?.teardown();
  }, 180_000);

  it('--label-add alone keeps the task; an update that changes nothing says so', async () => {
    const before = await running();
    const after = await update('--label-add', 'team=a');
    expect(after.task.id).toBe(before.task.id);
    expect(after.c.Id).toBe(before.c.Id);
    const same = await update('--label-add', 'team=a', '--env-add', 'A=1');
    expect(same.stderr).toContain(`service ${SVC}: nothing to change`);
    expect(same.task.id).toBe(before.task.id);
  }, 120_000);

  it('env, container labels, args, groups: each replaces the task with the new setting', async () => {
    const before = await running();
    let r = await update('--env-add', 'B=2', '--env-rm', 'A');
    expect(r.task.id).not.toBe(before.task.id);
    expect(r.c.Config.Env).toContain('B=2');
    expect(r.c.Config.Env.some((e) => e.startsWith('A='))).toBe(false);
    r = await update('--container-label-add', 'tier=web', '--container-label-add', 'x=1');
    expect(r.c.Config.Labels).toMatchObject({ tier: 'web', x: '1' });
    r = await update('--container-label-rm', 'x');
    expect(r.c.Config.Labels.tier).toBe('web');
    expect(r.c.Config.Labels.x).toBeUndefined();
    r = await update('--args', "sh -c 'sleep 3000'");
    expect(r.c.Config.Cmd).toEqual(['sh', '-c', 'sleep 3000']);
    r = await update('--group-add', '1234', '--group-add', '2345');
    expect(r.c.HostConfig.GroupAdd).toEqual(['1234', '2345']);
    expect(await inTask(r.node, r.c.Id, ['id', '-G'])).toMatch(/\b1234\b.*\b2345\b/);
    r = await update('--group-rm', '1234');
    expect(r.c.HostConfig.GroupAdd).toEqual(['2345']);
  }, 180_000);

  it('dns, dns options, search domains and hosts reach resolv.conf and /etc/hosts', async () => {
    let r = await update('--dns-add', '10.99.0.53', '--dns-option-add', 'ndots:3', '--dns-search-add', 'corp.example', '--host-add', 'db:10.99.0.5', '--host-add', 'cache:10.99.0.6');
    expect(r.c.HostConfig.Dns).toEqual(['10.99.0.53']);
    expect(r.c.HostConfig.DnsOptions).toEqual(['ndots:3']);
    expect(r.c.HostConfig.DnsSearch).toEqual(['corp.example']);
    const resolv = await inTask(r.node, r.c.Id, ['cat', '/etc/resolv.conf']);
    expect(resolv).toMatch(/nameserver 10\.99\.0\.53/);
    expect(resolv).toMatch(/options .*ndots:3/);
    expect(resolv).toMatch(/search corp\.example/);
    let hosts = await inTask(r.node, r.c.Id, ['cat', '/etc/hosts']);
    expect(hosts).toMatch(/10\.99\.0\.5\s+db/);
    expect(hosts).toMatch(/10\.99\.0\.6\s+cache/);
    r = await update('--dns-rm', '10.99.0.53', '--dns-option-rm', 'ndots:3', '--dns-search-rm', 'corp.example', '--host-rm', 'db');
    expect(r.c.HostConfig.Dns ?? []).toEqual([]);
    expect(r.c.HostConfig.DnsOptions ?? []).toEqual([]);
    expect(r.c.HostConfig.DnsSearch ?? []).toEqual([]);
    hosts = await inTask(r.node, r.c.Id, ['cat', '/etc/hosts']);
    expect(hosts).not.toMatch(/\sdb\b/);
    expect(hosts).toMatch(/10\.99\.0\.6\s+cache/);
  }, 180_000);

  it('mounts and secrets are added and removed', async () => {
    let r = await update('--mount-add', 'type=tmpfs,target=/scratch', '--secret-add', 'source=tok,target=token');
    expect(r.c.Mounts.some((m) => m.Destination === '/scratch' && m.Type === 'tmpfs')).toBe(true);
    expect((await inTask(r.node, r.c.Id, ['cat', '/run/secrets/token'])).trim()).toBe('s3cret');
    r = await update('--mount-rm', '/scratch', '--secret-rm', 'tok');
    expect(r.c.Mounts.some((m) => m.Destination === '/scratch')).toBe(false);
    const gone = await lab.docker(r.node, ['exec', r.c.Id, 'ls', '/run/secrets/token'], { check: false });
    expect(gone.code).not.toBe(0);
  }, 180_000);

  it('a bad value is a usage error naming its flag; nothing changes', async () => {
    const before = await running();
    for (const [args, msg] of [
      [['--host-add', 'x'], /--host-add: invalid value "x": expected HOST:IP/],
      [['--dns-add', 'nope'], /--dns-add: invalid value "nope"/],
      [['--generic-resource-add', 'gpu=1'], /--generic-resource-add: not supported/],
      [['--rollback-failure-action', 'rollback'], /--rollback-failure-action: invalid value "rollback"/],
    ] as const) {
      const r = await sw.cli('h1', ['service', 'update', ...args, SVC]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await running()).task.id).toBe(before.task.id);
  }, 60_000);
});
