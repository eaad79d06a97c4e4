/**
 * East-west networking on three lab hosts with real engines and real kernel devices: an overlay
 * created with `network create`, services spread over the hosts, and clients reaching them
 * across hosts by task IP, by service name (DNS -> VIP -> nftables DNAT in the client's netns),
 * by `tasks.<service>` and by alias; two overlays isolated from each other; a backend that goes
 * away stops receiving new connections; a daemon killed with -9 leaves traffic flowing and
 * recreates nothing when it comes back; `network rm` and `leave` leave no device behind.
 * Needs root.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/swarm/api/views.js';
import { Lab, eventually, teardownLab, type LabConfig } from './harness.js';
import { SwarmNodes } from './swarm-nodes.js';

const CFG: LabConfig = { name: 'tsnet', net: 8 };
const HOSTS = ['h1', 'h2', 'h3'];
const IMAGE = 'tscompose-test/busybox:latest';

let lab: Lab;
let sw: SwarmNodes;

/** A web server answering its hostname (the engine's default: the short container id). */
const WEB = ['sh', '-c', "trap 'exit 0' TERM; mkdir -p /www && hostname > /www/index.html && httpd -f -p 80 -h /www & wait"];

/** Short ids (= hostnames) of a service's running containers on every host. */
async function hostnames(service: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const h of HOSTS) {
    const r = await lab.docker(h, ['ps', '-q', '--filter', `label=com.tsswarm.service.name=${service}`]);
    for (const id of r.stdout.trim().split('\n')) if (id) out.add(id);
  }
  return out;
}

async function tasks(service: string): Promise<TaskView[]> {
  return (await sw.local<{ tasks: TaskView[] }>('h1', `/v1/services/${service}/tasks`)).tasks;
}

async function running(service: string, n: number): Promise<TaskView[]> {
  return eventually(async () => {
    const t = (await tasks(service)).filter((x) => x.state === 'running' && x.desiredState === 'running');
    return t.length === n ? t : undefined;
  }, { timeoutMs: 90_000, intervalMs: 200, what: `${n} running tasks of ${service}` });
}

/** The container of a service's task on a host (the first one), with its pid. */
async function containerOn(host: string, service: string): Promise<{ id: string; pid: number }> {
  const r = await lab.docker(host, ['ps', '-q', '--no-trunc', '--filter', `label=com.tsswarm.service.name=${service}`]);
  const id = r.stdout.trim().split('\n')[0];
  if (!id) throw new Error(`no ${service} container on ${host}`);
  const pid = Number((await lab.docker(host, ['inspect', '--format', '{{.State.Pid}}', id])).stdout.trim());
  return { id, pid };
}

/** An HTTP GET from inside a container's netns with the host's curl (busybox wget is unreliable in lab tasks). */
async function get(host: string, pid: number, url: string, timeoutS = 2): Promise<{ ok: boolean; body: string }> {
  const r = await lab.exec(host, ['nsenter', `--net=/proc/${pid}/ns/net`, 'curl', '-s', '--max-time', String(timeoutS), url], { check: false });
  return { ok: r.code === 0, body: r.stdout.trim() };
}

async function lookup(host: string, containerId: string, name: string): Promise<string[]> {
  const r = await lab.docker(host, ['exec', containerId, 'nslookup', name], { check: false });
  // busybox nslookup: the server's own address comes first ("Server: ... Address: 127.0.0.11:53").
  const answer = r.stdout.split(/\nName:/).slice(1).join('\n');
  return [...answer.matchAll(/Address(?: \d+)?:\s*([0-9.]+)/g)].map((m) => m[1]!).sort();
}

async function cli(args: string[], timeoutMs = 90_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await sw.cli('h1', args, timeoutMs);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

async function ourDevices(host: string): Promise<string[]> {
  const r = await lab.exec(host, ['ip', '-j', 'link', 'show']);
  return (JSON.parse(r.stdout) as Array<{ ifname: string; ifindex: number }>).filter((l) => /^ts(vx|br)-/.test(l.ifname)).map((l) => `${l.ifname}#${l.ifindex}`).sort();
}

describe('tsswarm overlay networks on three lab hosts', () => {
  beforeAll(async () => {
    await teardownLab(CFG);
    lab = await Lab.up({ ...CFG, hosts: 3 });
    sw = new SwarmNodes(lab, { heartbeatMs: 2000 });
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
  }, 180_000);

  it('network create allocates a subnet and a VNI; bad requests are refused with the field', async () => {
    expect((await cli(['network', 'create', '-d', 'overlay', 'appnet'])).code).toBe(0);
    expect((await cli(['network', 'create', '--subnet', '10.77.0.0/24', 'other'])).code).toBe(0);
    const bad = await cli(['network', 'create', '--subnet', '10.77.0.128/25', 'clash']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/overlaps network other/);
    const ls = await eventually(async () => {
      const out = (await cli(['network', 'ls'])).stdout;
      return out.includes('(allocating)') ? undefined : out;
    }, { what: 'both networks allocated' });
    expect(ls).toMatch(/appnet\s+overlay\s+swarm\s+10\.0\.\d+\.0\/24/);
    expect(ls).toMatch(/other\s+overlay\s+swarm\s+10\.77\.0\.0\/24/);
  }, 60_000);

  it('tasks on different hosts reach each other by task IP, by service name (VIP), by tasks.<service> and by alias', async () => {
    const web = await cli(['service', 'create', '--name', 'web', '--replicas', '3', '--network', 'name=appnet,alias=www', '-d', IMAGE, ...WEB]);
    expect(web.code, web.stderr).toBe(0);
    const client = await cli(['service', 'create', '--name', 'client', '--mode', 'global', '--network', 'appnet', '--init', '-d', IMAGE, 'sleep', '3600']);
    expect(client.code, client.stderr).toBe(0);
    const webTasks = await running('web', 3);
    await running('client', 3);
    // The scheduler spreads: one web task per host.
    expect(new Set(webTasks.map((t) => t.node)).size).toBe(3);

    const c1 = await containerOn('h1', 'client');
    const { service } = await sw.local<{ service: { endpoint: { virtualIPs: Array<{ addr: string }> } | null; id: string } }>('h1', '/v1/services/web');
    const vip = service.endpoint!.virtualIPs[0]!.addr.split('/')[0]!;

    // DNS: the name is the VIP, tasks.web the three task addresses, the alias the VIP too.
    const webAddrs = await eventually(async () => {
      const a = await lookup('h1', c1.id, 'tasks.web');
      return a.length === 3 ? a : undefined;
    }, { timeoutMs: 20_000, what: 'tasks.web to resolve to 3 addresses' });
    expect(await lookup('h1', c1.id, 'web')).toEqual([vip]);
    expect(await lookup('h1', c1.id, 'www')).toEqual([vip]);

    // By task IP, across hosts: every web task answers the client on h1.
    for (const a of webAddrs) {
      const r = await eventually(async () => {
        const x = await get('h1', c1.pid, `http://${a}/`);
        return x.ok ? x : undefined;
      }, { timeoutMs: 15_000, what: `web task ${a} from h1` });
      expect((await hostnames('web')).has(r.body)).toBe(true);
    }
    // Through the VIP: 30 connections land on all three hosts' backends.
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const r = await get('h1', c1.pid, `http://${vip}/`);
      expect(r.ok).toBe(true);
      seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
    }
    console.log(`[network] 30 requests to VIP ${vip}: ${JSON.stringify(Object.fromEntries(seen))}`);
    expect(seen.size).toBe(3);
  }, 180_000);

  it('a second overlay is isolated: a task only on it cannot be reached from appnet', async () => {
    const r = await cli(['service', 'create', '--name', 'lonely', '--network', 'other', '-d', IMAGE, ...WEB]);
    expect(r.code, r.stderr).toBe(0);
    const [t] = await running('lonely', 1);
    const host = t!.node;
    const lonely = await containerOn(host, 'lonely');
    const addr = (await lab.docker(host, ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', lonely.id])).stdout.trim();
    expect(addr).toMatch(/^10\.77\.0\./);
    // From its own host, a client on appnet: no answer. DNS does not know the name from appnet.
    const c = await containerOn(host, 'client');
    expect((await get(host, c.pid, `http://${addr}/`, 2)).ok).toBe(false);
    expect(await lookup(host, c.id, 'tasks.lonely')).toEqual([]);
  }, 120_000);

  it('a backend that goes away gets no new connection, and a new one gets traffic', async () => {
    const c1 = await containerOn('h1', 'client');
    const { service } = await sw.local<{ service: { endpoint: { virtualIPs: Array<{ addr: string }> } } }>('h1', '/v1/services/web');
    const vip = service.endpoint.virtualIPs[0]!.addr.split('/')[0]!;
    expect((await cli(['service', 'scale', 'web=2'])).code).toBe(0);
    await running('web', 2);
    const names = await eventually(async () => {
      const n = await hostnames('web');
      return n.size === 2 ? n : undefined;
    }, { what: 'two web containers left' });
    for (let i = 0; i < 20; i++) {
      const r = await get('h1', c1.pid, `http://${vip}/`);
      expect(r.ok).toBe(true);
      expect(names.has(r.body)).toBe(true);
    }
    expect((await cli(['service', 'scale', 'web=3'])).code).toBe(0);
    await running('web', 3);
    const seen = new Set<string>();
    await eventually(async () => {
      const r = await get('h1', c1.pid, `http://${vip}/`);
      if (r.ok) seen.add(r.body);
      return seen.size === 3 ? true : undefined;
    }, { timeoutMs: 10_000, intervalMs: 50, what: 'the new replica to get traffic' });
  }, 180_000);

  it('kill -9 of a daemon: traffic keeps flowing, and the restarted daemon recreates no device', async () => {
    const c1 = await containerOn('h1', 'client');
    const { service } = await sw.local<{ service: { endpoint: { virtualIPs: Array<{ addr: string }> } } }>('h1', '/v1/services/web');
    const vip = service.endpoint.virtualIPs[0]!.addr.split('/')[0]!;
    const before = await ourDevices('h2');
    expect(before.length).toBeGreaterThan(0);
    await sw.kill('h2');
    for (let i = 0; i < 10; i++) expect((await get('h1', c1.pid, `http://${vip}/`)).ok).toBe(true);
    const c2 = await containerOn('h2', 'client');
    for (let i = 0; i < 10; i++) expect((await get('h2', c2.pid, `http://${vip}/`)).ok).toBe(true);
    await sw.start('h2');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await ourDevices('h2')).toEqual(before);
  }, 120_000);

  it('network rm is refused while used; after the services go, rm and leave leave no device', async () => {
    const refused = await cli(['network', 'rm', 'appnet']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/in use by services client, web/);
    for (const s of ['web', 'client', 'lonely']) expect((await cli(['service', 'rm', s])).code).toBe(0);
    expect((await cli(['network', 'rm', 'appnet', 'other'])).code).toBe(0);
    for (const h of HOSTS) {
      await eventually(async () => ((await ourDevices(h)).length === 0 ? true : undefined), { timeoutMs: 20_000, what: `no overlay device left on ${h}` });
      const nets = (await lab.docker(h, ['network', 'ls', '--filter', 'label=com.tsswarm.network.id', '-q'])).stdout.trim();
      expect(nets).toBe('');
    }
  }, 120_000);
});
