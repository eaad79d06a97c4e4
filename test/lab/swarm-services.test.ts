/**
 * tsswarm services on three lab hosts with real engines: replicas spread and scale, a node lost
 * with its engine, a drained node, global services. Needs root (see lab-harness.test.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/swarm/api/views.js';
import { Lab, eventually, teardownLab, type LabConfig } from './harness.js';
import { SwarmNodes } from './swarm-nodes.js';

const CFG: LabConfig = { name: 'tssv', net: 5 };
const HOSTS = ['h1', 'h2', 'h3'];
const IMAGE = 'tscompose-test/busybox:latest';
const BROKEN = '127.0.0.1:9/tsswarm-test/broken:1';
const TASK_LABEL = 'com.tsswarm.task.id';

let lab: Lab;
let sw: SwarmNodes;

async function tasks(service: string, via = 'h1'): Promise<TaskView[]> {
  return (await sw.local<{ tasks: TaskView[] }>(via, `/v1/services/${service}/tasks`)).tasks;
}

/** Running task containers per host, counted on the engines themselves. */
async function containersPerHost(hosts = HOSTS): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const h of hosts) {
    const r = await lab.docker(h, ['ps', '-q', '--filter', `label=${TASK_LABEL}`], { check: false });
    out[h] = r.stdout.trim() === '' ? 0 : r.stdout.trim().split('\n').length;
  }
  return out;
}

async function runningPerNode(service: string, via = 'h1'): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of await tasks(service, via)) if (t.state === 'running' && t.desiredState === 'running') out[t.node] = (out[t.node] ?? 0) + 1;
  return out;
}

describe('tsswarm services on three lab hosts', () => {
  beforeAll(async () => {
    await teardownLab(CFG);
    lab = await Lab.up({ ...CFG, hosts: 3 });
    sw = new SwarmNodes(lab);
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
  }, 180_000);

  it('30 replicas converge spread 10/10/10; scale 30 -> 90 -> 0', async () => {
    const t0 = Date.now();
    const out = await sw.cli('h1', ['service', 'create', '--name', 'web', '--replicas', '30', '--init', IMAGE, 'sleep', '3600'], 180_000);
    expect(out.code).toBe(0);
    expect(out.stderr).toContain('verify: Service converged');
    console.log(`[swarm] 30 replicas converged in ${Date.now() - t0} ms`);
    expect(Object.values(await runningPerNode('web')).sort()).toEqual([10, 10, 10]);
    expect(await containersPerHost()).toEqual({ h1: 10, h2: 10, h3: 10 });
    const ls = await sw.ok('h1', ['service', 'ls']);
    expect(ls).toMatch(/web\s+replicated\s+30\/30\s+tscompose-test\/busybox:latest/);

    const t1 = Date.now();
    expect((await sw.cli('h1', ['service', 'scale', 'web=90'], 240_000)).code).toBe(0);
    console.log(`[swarm] scaled 30 -> 90 in ${Date.now() - t1} ms`);
    expect(Object.values(await runningPerNode('web')).sort()).toEqual([30, 30, 30]);
    expect(await containersPerHost()).toEqual({ h1: 30, h2: 30, h3: 30 });

    expect((await sw.cli('h1', ['service', 'scale', 'web=0'], 240_000)).code).toBe(0);
    await eventually(async () => {
      const c = await containersPerHost();
      return Object.values(c).every((n) => n === 0) ? c : undefined;
    }, { timeoutMs: 120_000, what: 'no task containers left' });
    expect(await tasks('web')).toEqual([]);
  }, 600_000);

  it('a node lost with its engine: its tasks run again on the others', async () => {
    await sw.ok('h1', ['service', 'scale', 'web=30']);
    expect(Object.values(await runningPerNode('web')).sort()).toEqual([10, 10, 10]);
    const t0 = Date.now();
    await sw.kill('h3', 'SIGKILL');
    await lab.killDockerd('h3', 'SIGKILL');
    const per = await eventually(async () => {
      const p = await runningPerNode('web');
      return (p.h1 ?? 0) + (p.h2 ?? 0) === 30 ? p : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100, what: '30 running on h1 and h2' });
    console.log(`[swarm] node h3 lost: 30 running again on h1/h2 after ${Date.now() - t0} ms (${JSON.stringify(per)})`);
    expect(per).toEqual({ h1: 15, h2: 15 });
    const ls = await sw.ok('h1', ['node', 'ls']);
    expect(ls).toMatch(/h3\s+Down/);
    // h3 comes back empty-handed: its old containers are not what the cluster wants any more.
    await lab.startDockerd('h3');
    await sw.start('h3');
    await eventually(async () => ((await containersPerHost(['h3'])).h3 === 0 ? true : undefined), { timeoutMs: 60_000, what: 'h3 to drop its stale tasks' });
  }, 300_000);

  it('a drained node hands its tasks over; a global service runs on every active node', async () => {
    await eventually(async () => (/h3\s+Ready/.test(await sw.ok('h1', ['node', 'ls'])) ? true : undefined), { timeoutMs: 30_000, what: 'h3 ready' });
    await sw.ok('h1', ['node', 'update', '--availability', 'drain', 'h2']);
    await eventually(async () => {
      const p = await runningPerNode('web');
      return (p.h2 ?? 0) === 0 && (p.h1 ?? 0) + (p.h3 ?? 0) === 30 ? p : undefined;
    }, { timeoutMs: 90_000, what: 'web off h2' });
    expect((await containersPerHost(['h2'])).h2).toBe(0);
    await sw.ok('h1', ['node', 'update', '--availability', 'active', 'h2']);

    const g = await sw.cli('h1', ['service', 'create', '--name', 'agent', '--mode', 'global', '--init', IMAGE, 'sleep', '3600'], 120_000);
    expect(g.code).toBe(0);
    const per = await runningPerNode('agent');
    expect(per).toEqual({ h1: 1, h2: 1, h3: 1 });
    const ps = await sw.ok('h1', ['service', 'ps', 'agent']);
    expect(ps.split('\n')[0]).toMatch(/^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR/);
    expect(ps).toMatch(/agent\.\S+\s+tscompose-test\/busybox:latest\s+h2\s+Running\s+Running/);
    // A node that joins later gets its global task: h3 leaves and joins again as a new node.
    await sw.ok('h3', ['leave']);
    await eventually(async () => ((await containersPerHost(['h3'])).h3 === 0 ? true : undefined), { timeoutMs: 60_000, what: 'h3 empty after leaving' });
    const token = (await sw.ok('h1', ['join-token', 'worker', '-q'])).trim();
    await sw.ok('h3', ['join', '--token', token, '--advertise-addr', lab.host('h3').ip, sw.addr('h1')]);
    await eventually(async () => {
      const p = await runningPerNode('agent');
      return p.h3 === 1 ? p : undefined;
    }, { timeoutMs: 60_000, what: 'the global task on the rejoined h3' });
    for (const n of (await sw.local<{ nodes: { id: string; hostname: string; status: string }[] }>('h1', '/v1/nodes')).nodes) {
      if (n.hostname === 'h3' && n.status === 'down') await sw.ok('h1', ['node', 'rm', n.id]);
    }

    // A worker daemon killed with -9 comes back and adopts its running containers: same ids, no duplicates.
    // First the web tasks h3 took along when it left must be running elsewhere, and h2 must run
    // exactly the containers of its running tasks: otherwise new replicas still arriving on h2
    // would look like duplicates.
    await eventually(async () => {
      const p = await runningPerNode('web');
      const onH2 = (p.h2 ?? 0) + ((await runningPerNode('agent')).h2 ?? 0);
      const total = Object.values(p).reduce((a, b) => a + b, 0);
      return total === 30 && (await containersPerHost(['h2'])).h2 === onH2 ? p : undefined;
    }, { timeoutMs: 90_000, what: 'web back to 30 running, h2 settled' });
    const before = (await lab.docker('h2', ['ps', '-q', '--no-trunc', '--filter', `label=${TASK_LABEL}`])).stdout.trim().split('\n').sort();
    await sw.kill('h2', 'SIGKILL');
    await sw.start('h2');
    await new Promise((r) => setTimeout(r, 3000));
    const after = (await lab.docker('h2', ['ps', '-q', '--no-trunc', '--filter', `label=${TASK_LABEL}`])).stdout.trim().split('\n').sort();
    expect(after).toEqual(before);
    expect(await runningPerNode('agent')).toEqual({ h1: 1, h2: 1, h3: 1 });

    await sw.ok('h1', ['service', 'rm', 'agent', 'web']);
    await eventually(async () => {
      const c = await containersPerHost();
      return Object.values(c).every((n) => n === 0) ? c : undefined;
    }, { timeoutMs: 120_000, what: 'every task container removed' });
  }, 300_000);
  it('a secret is readable in its tasks only, sealed on disk, absent from inspect output and logs', async () => {
    const value = `pw-${process.pid}-${Date.now()}-Zq9`;
    const created = await sw.cli('h1', ['secret', 'create', 'dbpass', '-'], 30_000, value);
    expect(created.stderr + created.stdout).toMatch(/^[0-9a-z]+\n$/);
    expect((await sw.cli('h1', ['config', 'create', 'appconf', '-'], 30_000, 'listen 8080\n')).code).toBe(0);
    const g = await sw.cli('h1', ['service', 'create', '--name', 'vault', '--replicas', '2', '--constraint', 'node.hostname!=h1', '--secret', 'dbpass', '--secret', 'source=dbpass,target=copy,mode=0400', '--config', 'source=appconf,target=/etc/app.conf', '--init', IMAGE, 'sleep', '3600'], 120_000);
    expect(g.code).toBe(0);
    const running = (await tasks('vault')).filter((t) => t.state === 'running');
    expect(running.map((t) => t.node).sort()).toEqual(['h2', 'h3']);
    for (const h of ['h2', 'h3']) {
      const id = (await lab.docker(h, ['ps', '-q', '--filter', 'label=com.tsswarm.service.name=vault'])).stdout.trim();
      expect((await lab.docker(h, ['exec', id, 'cat', '/run/secrets/dbpass'])).stdout).toBe(value);
      expect((await lab.docker(h, ['exec', id, 'cat', '/run/secrets/copy'])).stdout).toBe(value);
      expect((await lab.docker(h, ['exec', id, 'cat', '/etc/app.conf'])).stdout).toBe('listen 8080\n');
      // Read-only inside the task.
      expect((await lab.docker(h, ['exec', id, 'sh', '-c', 'echo x > /run/secrets/dbpass'], { check: false })).code).not.toBe(0);
      // On the host: only on this node's tmpfs.
      const mounts = await lab.docker(h, ['inspect', '--format', '{{range .Mounts}}{{.Source}} {{end}}', id]);
      const src = mounts.stdout.trim().split(' ')[0]!;
      expect((await lab.exec(h, ['stat', '-f', '-c', '%T', src])).stdout.trim()).toBe('tmpfs');
    }
    // Never in plaintext on any node's disk (raft WAL and snapshots included), nor in what users see.
    for (const h of HOSTS) {
      const grep = await lab.exec(h, ['grep', '-rl', value, sw.dataDir(h)], { check: false });
      expect(grep.stdout).toBe('');
      expect(sw.logTail(h, 10_000)).not.toContain(value);
    }
    for (const args of [['secret', 'inspect', 'dbpass'], ['secret', 'ls'], ['service', 'inspect', 'vault']]) expect(await sw.ok('h1', args)).not.toContain(value);
    const dockerInspect = await lab.docker('h2', ['inspect', (await lab.docker('h2', ['ps', '-q', '--filter', 'label=com.tsswarm.service.name=vault'])).stdout.trim()]);
    expect(dockerInspect.stdout).not.toContain(value);
    // h1 runs no task using it: its tmpfs holds nothing.
    const h1dir = `${lab.host('h1').socket.replace(/docker\.sock$/, '')}tsswarm-secrets`;
    expect((await lab.exec('h1', ['sh', '-c', `ls -A ${h1dir} 2>/dev/null | wc -l`])).stdout.trim()).toBe('0');

    // In use: refused. After the service goes, the files go, then the secret can be removed.
    const inUse = await sw.cli('h1', ['secret', 'rm', 'dbpass']);
    expect(inUse.code).not.toBe(0);
    expect(inUse.stderr).toMatch(/in use by service vault/);
    await sw.ok('h1', ['service', 'rm', 'vault']);
    for (const h of ['h2', 'h3']) {
      const dir = `${lab.host(h).socket.replace(/docker\.sock$/, '')}tsswarm-secrets`;
      await eventually(async () => ((await lab.exec(h, ['sh', '-c', `ls -A ${dir} | wc -l`])).stdout.trim() === '0' ? true : undefined), { timeoutMs: 30_000, what: `${h}'s secret files removed` });
    }
    await sw.ok('h1', ['secret', 'rm', 'dbpass']);
    await sw.ok('h1', ['config', 'rm', 'appconf']);
    expect(await sw.ok('h1', ['secret', 'ls', '-q'])).toBe('');
  }, 240_000);
  it('a rolling update with parallelism 2 to a broken image rolls back by itself', async () => {
    await sw.ok('h1', ['service', 'create', '--name', 'roll', '--replicas', '6', '--update-parallelism', '2', '--update-failure-action', 'rollback', '--update-monitor', '2s', '--init', IMAGE, 'sleep', '3600']);
    const before = (await tasks('roll')).map((t) => t.id).sort();
    expect(before).toHaveLength(6);
    // On a loopback registry where nothing listens: the managers and the agents fail fast, and
    // nothing leaves the machine.
    const r = await sw.cli('h1', ['service', 'update', '--image', BROKEN, 'roll'], 180_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rolled back/);
    const inspect = JSON.parse(await sw.ok('h1', ['service', 'inspect', 'roll'])) as { spec: { task: { container: { image: string } } }; updateStatus: { state: string } }[];
    expect(inspect[0]!.spec.task.container.image).toBe(IMAGE);
    expect(inspect[0]!.updateStatus.state).toBe('rollback-completed');
    const now = (await tasks('roll')).filter((t) => t.desiredState === 'running');
    expect(now).toHaveLength(6);
    expect(now.every((t) => t.state === 'running' && t.image === IMAGE)).toBe(true);
    // Parallelism 2: no more than two replicas were touched before the failure stopped the update.
    const history = (await sw.local<{ tasks: { image: string; error: string }[] }>('h1', '/v1/services/roll/tasks?all=true')).tasks;
    const broken = history.filter((t) => t.image === BROKEN);
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.length).toBeLessThanOrEqual(2);
    expect(broken[0]!.error).toMatch(/^cannot pull 127\.0\.0\.1:9\/tsswarm-test\/broken:1: registry 127\.0\.0\.1:9 is unreachable/);

    // A good update, then `service rollback` by hand: back to the spec before it.
    expect((await sw.cli('h1', ['service', 'update', '--env-add', 'MODE=new', 'roll'], 180_000)).code).toBe(0);
    const envOf = async () => {
      const t = (await tasks('roll')).find((x) => x.state === 'running' && x.desiredState === 'running')!;
      const id = (await lab.docker(t.node, ['ps', '-q', '--filter', `label=com.tsswarm.task.id=${t.id}`])).stdout.trim();
      return (await lab.docker(t.node, ['inspect', '--format', '{{json .Config.Env}}', id])).stdout;
    };
    expect(await envOf()).toContain('MODE=new');
    const back = await sw.cli('h1', ['service', 'rollback', 'roll'], 180_000);
    expect(back.code).toBe(0);
    expect(back.stderr).toContain('verify: Service converged');
    const after = (await tasks('roll')).filter((t) => t.desiredState === 'running');
    expect(after).toHaveLength(6);
    expect(await envOf()).not.toContain('MODE=new');
    await sw.ok('h1', ['service', 'rm', 'roll']);
  }, 240_000);
  it('service logs merges the logs of tasks on every node', async () => {
    await sw.ok('h1', ['service', 'create', '--name', 'talk', '--replicas', '3', '--init', IMAGE, 'sh', '-c', 'echo "hello from $(hostname)"; echo second line; exec sleep 3600']);
    const out = await eventually(async () => {
      const r = await sw.cli('h1', ['service', 'logs', 'talk']);
      return r.code === 0 && r.stdout.split('\n').filter((l) => l.includes('hello from')).length === 3 ? r.stdout : undefined;
    }, { timeoutMs: 30_000, what: 'three tasks\' logs' });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(/^talk\.[1-3]\.[0-9a-z]+@h[1-3]\s+\| (hello from \S+|second line)$/);
    expect(new Set(lines.map((l) => /@(h\d)/.exec(l)![1])).size).toBe(3);
    const tail = await sw.ok('h1', ['service', 'logs', '--tail', '1', '--no-task-ids', 'talk']);
    expect(tail.trim().split('\n').sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^talk\.[1-3]@h[1-3]\s+\| second line$/)]));
    expect(tail.trim().split('\n')).toHaveLength(3);
    const raw = await sw.ok('h1', ['service', 'logs', '--raw', '--tail', '1', 'talk']);
    expect(raw.trim().split('\n')).toEqual(['second line', 'second line', 'second line']);
    const worker = await sw.cli('h3', ['service', 'logs', 'talk']);
    expect(worker.code).not.toBe(0);
    expect(worker.stderr).toMatch(/worker/);
    const missing = await sw.cli('h1', ['service', 'logs', 'nosuch']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no service "nosuch"/);
    await sw.ok('h1', ['service', 'rm', 'talk']);
  }, 120_000);
  it('a task no node can take stays pending with the reason in service ps', async () => {
    const r = await sw.cli('h1', ['service', 'create', '-d', '--name', 'huge', '--reserve-memory', '1000G', '--init', IMAGE, 'sleep', '3600']);
    expect(r.code).toBe(0);
    const ps = await eventually(async () => {
      const out = await sw.ok('h1', ['service', 'ps', '--no-trunc', 'huge']);
      return /Pending/.test(out) && /insufficient memory on 3 nodes/.test(out) ? out : undefined;
    }, { timeoutMs: 20_000, what: 'huge pending with a reason' });
    console.log(`[swarm] unplaceable:\n${ps}`);
    // Other nodes (one that left earlier in this file) may add their own reason to the list.
    expect(ps).toMatch(/huge\.1\s+tscompose-test\/busybox:latest\s+Running\s+Pending .*no suitable node \(.*insufficient memory on 3 nodes.*\)/);
    await sw.ok('h1', ['service', 'rm', 'huge']);
  }, 60_000);
});
