/**
 * Images through a real registry on three lab hosts with real engines. Debian's docker-registry
 * runs in the root namespace on the lab bridge (10.199.14.1:5000) with TLS from a CA the test
 * makes (trusted through /etc/docker/certs.d) and an htpasswd user; the private image is built
 * on the machine's engine, pushed there and removed, so no node has it. Without
 * `--with-registry-auth` every task is rejected with the registry's refusal; with it the stack
 * runs on every host, pinned to the digest. A push of a new image under the same tag changes
 * nothing running until `service update --image` rolls to it. A node that cannot reach the
 * registry rejects its task and the replacement lands elsewhere. No credential is found in any
 * node's data dir or log. Needs root. Lab `tsreg` on net 14.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/swarm/api/views.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { Lab, eventually, run, teardownLab, type LabConfig } from './harness.js';
import { SwarmNodes, TSSWARM_BIN } from './swarm-nodes.js';

const CFG: LabConfig = { name: 'tsreg', net: 14 };
const HOSTS = ['h1', 'h2', 'h3'];
const REG = '10.199.14.1:5000';
const REPO = `${REG}/private/app`;
const USER = 'ci';
const PASS = `pw-${randomBytes(12).toString('hex')}`;
const SLEEPER = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];

let lab: Lab;
let sw: SwarmNodes;
let registry: RunningRegistry | undefined;
const dir = mkdtempSync(path.join(tmpdir(), 'tsreg-'));
/** The client's Docker config: what `docker login` would have written. */
const dockerConfig = path.join(dir, 'docker');

/** The CLI on h1 with the client's Docker config. */
async function cli(args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const h = lab.host('h1');
  return lab.exec(h, [process.execPath, TSSWARM_BIN, '--host', sw.socket(h), '--data-dir', sw.dataDir(h), ...args], {
    check: false,
    timeoutMs,
    env: { ...process.env, DOCKER_CONFIG: dockerConfig },
  });
}

async function tasks(service: string, all = false): Promise<TaskView[]> {
  return (await sw.local<{ tasks: TaskView[] }>('h1', `/v1/services/${service}/tasks${all ? '?all=true' : ''}`)).tasks;
}

const isUp = (t: TaskView): boolean => t.desiredState === 'running' && t.state === 'running';

async function upTasks(service: string, n: number, test: (t: TaskView) => boolean = () => true): Promise<TaskView[]> {
  return eventually(async () => {
    const ts = await tasks(service);
    const up = ts.filter(isUp);
    return up.length === n && up.every(test) && ts.every((t) => isUp(t) || t.desiredState !== 'running') ? up : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250, what: `${n} running tasks of ${service}` });
}

/** Builds `REPO:tag` on the machine's engine with /version holding `v`, pushes it with the client's config, and removes it here. */
async function pushVersion(tag: string, v: string): Promise<string> {
  const ref = `${REPO}:${tag}`;
  await run('docker', ['build', '-q', '-t', ref, '-'], { input: `FROM tscompose-test/busybox:latest\nRUN echo ${v} > /version\n` });
  const pushed = await run('docker', ['--config', dockerConfig, 'push', ref], { check: false });
  if (pushed.code !== 0) throw new Error(`docker push ${ref}: ${pushed.stderr || pushed.stdout}`);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
  if (!digest) throw new Error(`docker push ${ref} printed no digest: ${pushed.stdout}`);
  await run('docker', ['rmi', '-f', ref], { check: false });
  return digest;
}

/** What /version says in each running container of a service, per host. */
async function versions(service: string): Promise<string[]> {
  const out: string[] = [];
  for (const h of HOSTS) {
    const ids = (await lab.docker(h, ['ps', '-q', '--filter', `label=com.tsswarm.service.name=${service}`])).stdout.split('\n').filter(Boolean);
    for (const id of ids) out.push(`${h}:${(await lab.docker(h, ['exec', id, 'cat', '/version'])).stdout.trim()}`);
  }
  return out.sort();
}

describe('images through a registry: private images across the cluster', () => {
  beforeAll(async () => {
    await teardownLab(CFG);
    lab = await Lab.up({ ...CFG, hosts: 3 });
    registry = await startRegistry({ address: '10.199.14.1', port: 5000, users: { [USER]: PASS }, tls: true, trustForEngine: true });
    mkdirSync(dockerConfig);
    writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [REG]: { auth: Buffer.from(`${USER}:${PASS}`).toString('base64') } } }));
    sw = new SwarmNodes(lab, { heartbeatMs: 1000 });
    await sw.form(HOSTS);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    sw.dumpLogs(HOSTS, 40);
  });

  afterAll(async () => {
    if (process.env.TSLAB_KEEP === '1') return;
    await sw?.stopAll();
    await lab?.teardown();
    await registry?.stop();
    for (const t of ['1', '2', '3']) await run('docker', ['rmi', '-f', `${REPO}:${t}`], { check: false });
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  let d1 = '';

  it('without --with-registry-auth every task is rejected with the registry refusal; with it the stack runs on every host, pinned', async () => {
    d1 = await pushVersion('1', 'one');
    const file = path.join(dir, 'stack.yaml');
    writeFileSync(file, `services:\n  app:\n    image: ${REPO}:1\n    command: ${JSON.stringify(SLEEPER)}\n    deploy:\n      replicas: 3\n`);

    const bare = await cli(['stack', 'deploy', '-c', file, 'st']);
    expect(bare.code, bare.stderr).toBe(0);
    // The managers could not ask the registry either: Docker's warning, and no digest.
    expect(bare.stderr).toMatch(/could not be accessed on a registry to record its digest/);
    const refused = await eventually(async () => {
      const ts = (await tasks('st_app', true)).filter((t) => t.state === 'rejected');
      return new Set(ts.map((t) => t.node)).size === 3 ? ts : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, what: 'a rejected task on every node' });
    for (const t of refused) expect(t.error).toMatch(new RegExp(`pull access denied for ${REPO.replace(/\./g, '\\.')}`));
    expect((await tasks('st_app')).some(isUp)).toBe(false);
    expect((await cli(['stack', 'rm', 'st'])).code).toBe(0);
    await eventually(async () => {
      const r = await cli(['service', 'ls', '-q']);
      return r.stdout.trim() === '' ? true : undefined;
    }, { timeoutMs: 30_000, what: 'the stack gone' });

    const authed = await cli(['stack', 'deploy', '--with-registry-auth', '-c', file, 'st']);
    expect(authed.code, authed.stderr).toBe(0);
    expect(authed.stderr).not.toMatch(/could not be accessed/);
    const up = await upTasks('st_app', 3);
    expect(new Set(up.map((t) => t.node))).toEqual(new Set(HOSTS));
    for (const t of up) expect(t.image).toBe(`${REPO}:1@${d1}`);
    expect(await versions('st_app')).toEqual(['h1:one', 'h2:one', 'h3:one']);
    const inspect = await cli(['service', 'inspect', 'st_app']);
    expect(inspect.stdout).toContain(`${REPO}:1@${d1}`);
    expect(inspect.stdout).not.toContain(PASS);
    expect(inspect.stdout).not.toContain('ciphertext');
  }, 300_000);

  it('a new image under the same tag changes nothing running; service update --image rolls to it', async () => {
    const before = (await tasks('st_app')).filter(isUp).map((t) => t.id).sort();
    const d2 = await pushVersion('1', 'two');
    expect(d2).not.toBe(d1);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await tasks('st_app')).filter(isUp).map((t) => t.id).sort()).toEqual(before);
    expect(await versions('st_app')).toEqual(['h1:one', 'h2:one', 'h3:one']);

    const u = await cli(['service', 'update', '--image', `${REPO}:1`, 'st_app']);
    expect(u.code, u.stderr).toBe(0);
    const up = await upTasks('st_app', 3, (t) => t.image === `${REPO}:1@${d2}`);
    expect(up.map((t) => t.id).some((id) => before.includes(id))).toBe(false);
    expect(await versions('st_app')).toEqual(['h1:two', 'h2:two', 'h3:two']);
    // Asked again with the tag unmoved: nothing to change, no task touched.
    const ids = up.map((t) => t.id).sort();
    const same = await cli(['service', 'update', '--image', `${REPO}:1`, 'st_app']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toContain('service st_app: nothing to change');
    expect((await tasks('st_app')).filter(isUp).map((t) => t.id).sort()).toEqual(ids);
  }, 300_000);

  it('a node that cannot reach the registry rejects its task; the replacement lands on another node', async () => {
    await pushVersion('3', 'three');
    const h3 = lab.host('h3');
    await lab.exec(h3, ['nft', '-f', '-'], { input: `table ip tsreg_block {\n chain out { type filter hook output priority 0; ip daddr 10.199.14.1 tcp dport 5000 reject with tcp reset; }\n}\n` });
    try {
      const c = await cli(['service', 'create', '--with-registry-auth', '--name', 'three', '--replicas', '3', '-d', `${REPO}:3`, ...SLEEPER]);
      expect(c.code, c.stderr).toBe(0);
      const up = await upTasks('three', 3);
      expect(up.some((t) => t.node === 'h3')).toBe(false);
      const rejected = (await tasks('three', true)).filter((t) => t.state === 'rejected');
      expect(rejected.length).toBeGreaterThan(0);
      for (const t of rejected) {
        expect(t.node).toBe('h3');
        expect(t.error).toMatch(/unreachable|connection refused/);
      }
    } finally {
      await lab.exec(h3, ['nft', 'delete', 'table', 'ip', 'tsreg_block'], { check: false });
    }
  }, 300_000);

  it('no credential in any node data dir, daemon log or engine log', async () => {
    const b64 = Buffer.from(`${USER}:${PASS}`).toString('base64');
    for (const h of HOSTS) {
      const host = lab.host(h);
      const places = [sw.dataDir(h), path.join(path.dirname(host.configFile), 'tsswarm.log'), host.logFile];
      for (const needle of [PASS, b64]) {
        const g = await run('grep', ['-r', '-l', '-a', '-F', needle, ...places], { check: false });
        expect(g.stdout, `${needle === PASS ? 'password' : 'base64 auth'} found on ${h}`).toBe('');
        expect(g.code).toBe(1);
      }
    }
  });
});
