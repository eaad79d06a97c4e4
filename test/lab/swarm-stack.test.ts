/**
 * `tsswarm stack` on three lab hosts with real engines: a compose file with db (healthy after a
 * delay, pinned to h2) and api (depends_on db service_healthy, pinned to h3). api's containers
 * start only after db's first successful probe (timestamps from both engines); a redeploy that
 * changes only api updates only api; stack rm leaves no task container. Needs root.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/swarm/api/views.js';
import { Lab, eventually, teardownLab, type LabConfig } from './harness.js';
import { SwarmNodes } from './swarm-nodes.js';

const CFG: LabConfig = { name: 'tsst', net: 6 };
const HOSTS = ['h1', 'h2', 'h3'];
const IMAGE = 'tscompose-test/busybox:latest';
const DIR = '/tmp/tsst-stack';
const FILE = path.join(DIR, 'stack.yaml');
const READY_AFTER_S = 4;

let lab: Lab;
let sw: SwarmNodes;

function stackFile(apiVersion: string): string {
  return `
services:
  db:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "sleep ${READY_AFTER_S}; touch /tmp/ready; exec sleep 3600"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 200ms
      timeout: 2s
      retries: 3
      start_period: 20s
    secrets: [dbpw]
    deploy:
      placement:
        constraints: ["node.hostname==h2"]
  api:
    image: ${IMAGE}
    init: true
    command: ["sleep", "3600"]
    environment:
      API_VERSION: "${apiVersion}"
    configs: [{source: apiconf, target: /etc/api.conf}]
    depends_on:
      db:
        condition: service_healthy
    deploy:
      replicas: 2
      placement:
        constraints: ["node.hostname==h3"]
secrets:
  dbpw: {file: ./dbpw.txt}
configs:
  apiconf: {content: "port 8080"}
`;
}

async function tasks(service: string): Promise<TaskView[]> {
  return (await sw.local<{ tasks: TaskView[] }>('h1', `/v1/services/${service}/tasks`)).tasks;
}

async function containers(host: string, service: string): Promise<string[]> {
  const r = await lab.docker(host, ['ps', '-q', '--no-trunc', '--filter', `label=com.tsswarm.service.name=${service}`], { check: false });
  return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').sort();
}

async function inspect<T>(host: string, id: string, format: string): Promise<T> {
  return JSON.parse((await lab.docker(host, ['inspect', '--format', format, id])).stdout) as T;
}

/** Docker's RFC 3339 timestamps with nanoseconds -> epoch ms. */
const epochMs = (t: string): number => Date.parse(t.replace(/(\.\d{3})\d*/, '$1'));

interface HealthLog {
  Status: string;
  Log: Array<{ Start: string; End: string; ExitCode: number }> | null;
}

/**
 * When db's health turned healthy: the End of the first successful probe of its running container.
 * Docker keeps only the last 5 probe results (1 s at 200 ms), so the log is polled until a snapshot
 * holds a success right after a failure: that success is the first one. Follows the container if
 * the task is replaced meanwhile (a starved lab can lose a node for a moment).
 */
async function firstHealthyProbe(host: string, service: string): Promise<{ id: string; at: number }> {
  const seenStarting = new Set<string>();
  return eventually(async () => {
    const c = await containers(host, service);
    if (c.length !== 1) return undefined;
    const id = c[0]!;
    const h = await inspect<HealthLog>(host, id, '{{json .State.Health}}').catch(() => undefined);
    const log = h?.Log ?? [];
    const i = log.findIndex((e) => e.ExitCode === 0);
    if (i < 0) {
      seenStarting.add(id);
      return undefined;
    }
    if (i === 0) {
      if (seenStarting.has(id)) throw new Error(`polled too slowly: the first probes of ${id.slice(0, 12)} already left the health log (${JSON.stringify(log)})`);
      return undefined;
    }
    return { id, at: epochMs(log[i]!.End) };
  }, { timeoutMs: 60_000, intervalMs: 50, what: 'the db health log to show its first success' });
}

async function cli(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await sw.cli('h1', args, timeoutMs);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

describe('tsswarm stacks on three lab hosts', () => {
  beforeAll(async () => {
    await teardownLab(CFG);
    mkdirSync(DIR, { recursive: true });
    lab = await Lab.up({ ...CFG, hosts: 3 });
    // A slow heartbeat: this test is not about node loss, and a starved machine must not flap nodes.
    sw = new SwarmNodes(lab, { heartbeatMs: 2000 });
    await sw.form(HOSTS);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    sw.dumpLogs(HOSTS);
  });

  afterAll(async () => {
    if (process.env.TSLAB_KEEP === '1') return;
    await sw?.stopAll();
    await lab?.teardown();
    rmSync(DIR, { recursive: true, force: true });
  }, 180_000);

  it('api (depends_on db service_healthy, on h3) starts only after db (on h2) is healthy; ps shows why it waits', async () => {
    // A bad file fails with the loader's position before anything reaches the cluster.
    writeFileSync(FILE, stackFile('1').replace('    init: true\n', '    init: true\n    imgae: typo\n'));
    const bad = await cli(['stack', 'deploy', '-c', FILE, 'app']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${FILE}:6:5: services.db.imgae: unknown key "imgae"`);
    expect((await sw.local<{ services: unknown[] }>('h1', '/v1/services')).services).toEqual([]);

    writeFileSync(FILE, stackFile('1'));
    writeFileSync(path.join(DIR, 'dbpw.txt'), 'stack-secret-Qx7');
    const deploy = await cli(['stack', 'deploy', '-c', FILE, 'app']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stdout).toBe('Creating network app_default\nCreating secret app_dbpw\nCreating config app_apiconf\nCreating service app_db\nCreating service app_api\n');

    // While db is not healthy yet, api's tasks wait with a reason both ps commands show.
    await eventually(async () => ((await tasks('app_api')).some((t) => t.error === 'waiting for app_db: 0/1 tasks healthy') ? true : undefined), { timeoutMs: 20_000, intervalMs: 100, what: 'api to wait for db' });
    const [stackPs, servicePs] = await Promise.all([cli(['stack', 'ps', 'app']), cli(['service', 'ps', 'app_api'])]);
    console.log(`[stack] while waiting:\n${stackPs.stdout}`);
    expect(stackPs.stdout).toMatch(/app_api\.1\s+tscompose-test\/busybox:latest\s+Running\s+Pending .*waiting for app_db: 0\/1 tasks healthy/);
    expect(stackPs.stdout).toMatch(/app_db\.1\s+tscompose-test\/busybox:latest\s+h2\s+Running\s+/);
    expect(servicePs.stdout).toMatch(/app_api\.2 .*Pending .*waiting for app_db: 0\/1 tasks healthy/);

    const { id: dbId, at: healthyAt } = await firstHealthyProbe('h2', 'app_db');
    const dbStartedAt = epochMs(await inspect<string>('h2', dbId, '{{json .State.StartedAt}}'));
    expect(healthyAt - dbStartedAt).toBeGreaterThanOrEqual(READY_AFTER_S * 1000 - 100);

    const apiIds = await eventually(async () => {
      const running = (await tasks('app_api')).filter((t) => t.state === 'running');
      const c = await containers('h3', 'app_api');
      return running.length === 2 && c.length === 2 ? c : undefined;
    }, { timeoutMs: 60_000, what: 'two api tasks running on h3' });
    const starts = await Promise.all(apiIds.map(async (id) => epochMs(await inspect<string>('h3', id, '{{json .State.StartedAt}}'))));
    console.log(`[stack] db started ${new Date(dbStartedAt).toISOString()}, healthy ${new Date(healthyAt).toISOString()}; api started ${starts.map((s) => `+${s - healthyAt} ms`).join(', ')} after`);
    for (const s of starts) expect(s).toBeGreaterThan(healthyAt);
    for (const h of ['h1', 'h2']) expect(await containers(h, 'app_api')).toEqual([]);
    // The stack's secret and config reach the tasks that mount them.
    expect((await lab.docker('h2', ['exec', dbId, 'cat', '/run/secrets/dbpw'])).stdout).toBe('stack-secret-Qx7');
    expect((await lab.docker('h3', ['exec', apiIds[0]!, 'cat', '/etc/api.conf'])).stdout).toBe('port 8080');
    const labels = await inspect<Record<string, string>>('h3', apiIds[0]!, '{{json .Config.Labels}}');
    expect(labels['com.docker.stack.namespace']).toBe('app');

    expect(await sw.ok('h1', ['stack', 'ls'])).toMatch(/^NAME\s+SERVICES\napp\s+2\n$/);
    const services = await sw.ok('h1', ['stack', 'services', 'app']);
    expect(services).toMatch(/app_api\s+replicated\s+2\/2/);
    expect(services).toMatch(/app_db\s+replicated\s+1\/1/);
  }, 300_000);

  it('a redeploy that changes only api\'s environment updates only api', async () => {
    const dbTasks = (await tasks('app_db')).map((t) => t.id);
    const dbContainers = await containers('h2', 'app_db');
    const same = await cli(['stack', 'deploy', '-c', FILE, 'app']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toBe('');
    expect(same.stderr).toContain('Service app_db is up to date');

    writeFileSync(FILE, stackFile('2'));
    const r = await cli(['stack', 'deploy', '-c', FILE, 'app']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Updating service app_api\n');
    await eventually(async () => {
      const c = await containers('h3', 'app_api');
      if (c.length !== 2 || (await tasks('app_api')).filter((t) => t.state === 'running').length !== 2) return undefined;
      const envs = await Promise.all(c.map((id) => inspect<string[]>('h3', id, '{{json .Config.Env}}')));
      return envs.every((e) => e.includes('API_VERSION=2')) ? true : undefined;
    }, { timeoutMs: 120_000, what: 'both api tasks on the new environment' });
    expect((await tasks('app_db')).map((t) => t.id)).toEqual(dbTasks);
    expect(await containers('h2', 'app_db')).toEqual(dbContainers);
  }, 300_000);

  it('stack rm removes every service of the stack and their containers', async () => {
    const r = await cli(['stack', 'rm', 'app']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Removing service app_api\nRemoving service app_db\nRemoving secret app_dbpw\nRemoving config app_apiconf\nRemoving network app_default\n');
    expect(await sw.ok('h1', ['secret', 'ls', '-q'])).toBe('');
    await eventually(async () => {
      for (const h of HOSTS) {
        const c = await lab.docker(h, ['ps', '-aq', '--filter', 'label=com.tsswarm.task.id'], { check: false });
        if (c.stdout.trim() !== '') return undefined;
      }
      return true;
    }, { timeoutMs: 120_000, what: 'no task containers left' });
    expect(await sw.ok('h1', ['stack', 'ls'])).toBe('NAME   SERVICES\n');
    const again = await cli(['stack', 'rm', 'app']);
    expect(again.stderr).toContain('Nothing found in stack: app');
  }, 300_000);
});
