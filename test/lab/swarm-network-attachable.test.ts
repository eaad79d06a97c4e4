/**
 * Attachable overlays on three lab hosts with real engines: `network create --attachable`, a
 * service with two replicas on it, and on the host without a task of it a standalone container
 * started with plain `docker run --network NAME`. The probe gets an address from its node's
 * attachment range, reaches a task on another host by IP, the service by name (VIP) and
 * `tasks.<service>`; a task reaches the probe by name and IP; removing the probe withdraws its
 * name; a non-attachable overlay still refuses `docker run --network`; `network rm` leaves no
 * device. Needs root. Lab `tsatt` on net 12.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/swarm/api/views.js';
import type { NetworkView } from '../../src/swarm/manager/networks-api.js';
import { parseAddr, parseCidr, containsAddr } from '../../src/net/ipam.js';
import { Lab, eventually, teardownLab, type LabConfig } from './harness.js';
import { SwarmNodes } from './swarm-nodes.js';

const CFG: LabConfig = { name: 'tsatt', net: 12 };
const HOSTS = ['h1', 'h2', 'h3'];
const IMAGE = 'tscompose-test/busybox:latest';
const SUBNET = '10.88.0.0/24';

/** A web server answering its hostname (the engine's default: the short container id). */
const WEB = ['sh', '-c', "trap 'exit 0' TERM; mkdir -p /www && hostname > /www/index.html && httpd -f -p 80 -h /www & wait"];

let lab: Lab;
let sw: SwarmNodes;

async function cli(args: string[], timeoutMs = 90_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await sw.cli('h1', args, timeoutMs);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

async function running(service: string, n: number): Promise<TaskView[]> {
  return eventually(async () => {
    const t = (await sw.local<{ tasks: TaskView[] }>('h1', `/v1/services/${service}/tasks`)).tasks.filter((x) => x.state === 'running' && x.desiredState === 'running');
    return t.length === n ? t : undefined;
  }, { timeoutMs: 90_000, intervalMs: 200, what: `${n} running tasks of ${service}` });
}

async function inspect(name: string): Promise<NetworkView> {
  return (await sw.local<{ network: NetworkView }>('h1', `/v1/networks/${name}`)).network;
}

/** A container's address on an engine network, and its pid. */
async function addrOf(host: string, container: string, network: string): Promise<{ address: string; pid: number }> {
  const r = await lab.docker(host, ['inspect', '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}} {{.State.Pid}}`, container]);
  const [address, pid] = r.stdout.trim().split(' ');
  return { address: address!, pid: Number(pid) };
}

/** An HTTP GET from inside a netns with the host's curl (busybox wget is unreliable in lab containers). */
async function get(host: string, pid: number, url: string): Promise<{ ok: boolean; body: string }> {
  const r = await lab.exec(host, ['nsenter', `--net=/proc/${pid}/ns/net`, 'curl', '-s', '--max-time', '2', url], { check: false });
  return { ok: r.code === 0, body: r.stdout.trim() };
}

/** busybox nslookup inside a container: the answer's addresses (the server's own line left out). */
async function lookup(host: string, container: string, name: string): Promise<string[]> {
  const r = await lab.docker(host, ['exec', container, 'nslookup', name], { check: false });
  const answer = r.stdout.split(/\nName:/).slice(1).join('\n');
  return [...new Set([...answer.matchAll(/Address(?: \d+)?:\s*([0-9.]+)/g)].map((m) => m[1]!))].sort();
}

async function ourDevices(host: string): Promise<string[]> {
  const r = await lab.exec(host, ['ip', '-j', 'link', 'show']);
  return (JSON.parse(r.stdout) as Array<{ ifname: string }>).filter((l) => /^ts(vx|gw)-|^tsegress/.test(l.ifname)).map((l) => l.ifname).sort();
}

describe('attachable overlays: standalone containers on three lab hosts', () => {
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

  it('network create --attachable gives every node a gateway and an attachment range, without any task', async () => {
    const r = await cli(['network', 'create', '--attachable', '--subnet', SUBNET, 'shared']);
    expect(r.code, r.stderr).toBe(0);
    expect((await cli(['network', 'create', '--subnet', '10.89.0.0/24', 'plain'])).code).toBe(0);
    const v = await eventually(async () => {
      const n = await inspect('shared');
      return n.attachRanges.length === 3 && n.attachRanges.every((x) => x.range !== null) ? n : undefined;
    }, { timeoutMs: 20_000, what: 'a range for each of the three nodes' });
    expect(v.attachable).toBe(true);
    expect(v.attachRanges.map((x) => x.node).sort()).toEqual(HOSTS);
    const ranges = v.attachRanges.map((x) => x.range!);
    expect(new Set(ranges).size).toBe(3);
    for (const x of ranges) expect(x).toMatch(/^10\.88\.0\.\d+\/28$/);
    // The engine network exists on every host under the network's own name.
    for (const h of HOSTS) {
      await eventually(async () => ((await lab.docker(h, ['network', 'inspect', 'shared'], { check: false })).code === 0 ? true : undefined), { timeoutMs: 20_000, what: `engine network shared on ${h}` });
    }
    const cfg = JSON.parse((await lab.docker('h3', ['network', 'inspect', '--format', '{{json .IPAM.Config}} {{.Attachable}}', 'shared'])).stdout.split(' ')[0]!) as Array<{ IPRange: string }>;
    expect(cfg[0]!.IPRange).toBe(v.attachRanges.find((x) => x.node === 'h3')!.range);
  }, 90_000);

  it('a probe from docker run on a node without a task reaches the service by IP, VIP and tasks.<svc>, and a task reaches it by name and IP', async () => {
    try {
      const web = await cli(['service', 'create', '--name', 'web', '--replicas', '2', '--replicas-max-per-node', '1', '--constraint', 'node.hostname!=h3', '--network', 'shared', '-d', IMAGE, ...WEB]);
      expect(web.code, web.stderr).toBe(0);
      const tasks = await running('web', 2);
      expect(tasks.map((t) => t.node).sort()).toEqual(['h1', 'h2']);

      const started = Date.now();
      const run = await lab.docker('h3', ['run', '-d', '--network', 'shared', '--name', 'probe', IMAGE, ...WEB], { check: false });
      expect(run.code, run.stderr).toBe(0);
      const probe = await addrOf('h3', 'probe', 'shared');
      const h3Range = (await inspect('shared')).attachRanges.find((x) => x.node === 'h3')!.range!;
      expect(containsAddr(parseCidr(SUBNET), parseAddr(probe.address))).toBe(true);
      expect(containsAddr(parseCidr(h3Range), parseAddr(probe.address))).toBe(true);
      console.log(`[attachable] probe on h3 got ${probe.address} from h3's range ${h3Range}`);

      // Its DNS goes to h3's resolver: wait for the redirect before asking any name, so no query
      // is ever forwarded towards the machine's own nameservers.
      await eventually(async () => ((await lab.exec('h3', ['nsenter', `--net=/proc/${probe.pid}/ns/net`, 'nft', 'list', 'table', 'ip', 'tsswarm-dns'], { check: false })).code === 0 ? true : undefined), {
        timeoutMs: 10_000,
        what: 'the DNS redirect in the probe',
      });

      // By task IP, across hosts.
      const w1 = await sw.taskContainer('h1', 'web');
      const w1Addr = (await addrOf('h1', w1.id, 'shared')).address;
      const byIp = await eventually(async () => {
        const x = await get('h3', probe.pid, `http://${w1Addr}/`);
        return x.ok ? x : undefined;
      }, { timeoutMs: 15_000, what: `web task ${w1Addr} on h1 from the probe` });
      expect(byIp.body).toBe(w1.id.slice(0, 12));

      // By name: the VIP, and through it both backends; tasks.web: both task addresses.
      const { service } = await sw.local<{ service: { endpoint: { virtualIPs: Array<{ addr: string }> } } }>('h1', '/v1/services/web');
      const vip = service.endpoint.virtualIPs[0]!.addr.split('/')[0]!;
      expect(await eventually(async () => ((await lookup('h3', 'probe', 'web')).join() === vip ? true : undefined), { timeoutMs: 15_000, what: 'web to resolve to its VIP in the probe' })).toBe(true);
      const w2 = await sw.taskContainer('h2', 'web');
      const w2Addr = (await addrOf('h2', w2.id, 'shared')).address;
      expect(await lookup('h3', 'probe', 'tasks.web')).toEqual([w1Addr, w2Addr].sort());
      const seen = new Set<string>();
      await eventually(async () => {
        const x = await get('h3', probe.pid, `http://${vip}/`);
        if (x.ok) seen.add(x.body);
        return seen.size === 2 ? true : undefined;
      }, { timeoutMs: 15_000, intervalMs: 50, what: 'both web tasks through the VIP from the probe' });
      expect(seen).toEqual(new Set([w1.id.slice(0, 12), w2.id.slice(0, 12)]));

      // The other way: a task on h1 resolves the probe by its container name and reaches it.
      await eventually(async () => ((await lookup('h1', w1.id, 'probe')).join() === probe.address ? true : undefined), { timeoutMs: 15_000, what: 'probe to resolve from a web task on h1' });
      const back = await eventually(async () => {
        const x = await get('h1', w1.pid, `http://${probe.address}/`);
        return x.ok ? x : undefined;
      }, { timeoutMs: 15_000, what: 'the probe from a web task on h1' });
      console.log(`[attachable] docker run -> reached by a task on h1 by name and IP: ${Date.now() - started} ms (figures, not asserted)`);
      const probeId = (await lab.docker('h3', ['inspect', '--format', '{{.Id}}', 'probe'])).stdout.trim();
      expect(back.body).toBe(probeId.slice(0, 12));
      expect((await inspect('shared')).containers).toEqual([{ name: 'probe', node: 'h3', address: probe.address, containerId: probeId }]);

      // Removing the probe withdraws its name everywhere within a few seconds.
      const removed = Date.now();
      await lab.docker('h3', ['rm', '-f', 'probe']);
      await eventually(async () => ((await lookup('h1', w1.id, 'probe')).length === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 200, what: 'probe withdrawn from the DNS of h1' });
      console.log(`[attachable] docker rm -f -> name gone on h1: ${Date.now() - removed} ms`);
      expect((await inspect('shared')).containers).toEqual([]);
    } finally {
      await lab.docker('h3', ['rm', '-f', 'probe'], { check: false });
    }
  }, 240_000);

  it('a non-attachable overlay still refuses docker run --network (its engine network is tss-...)', async () => {
    try {
      const s = await cli(['service', 'create', '--name', 'inner', '--network', 'plain', '--constraint', 'node.hostname==h1', '--init', '-d', IMAGE, 'sleep', '3600']);
      expect(s.code, s.stderr).toBe(0);
      await running('inner', 1);
      const names = (await lab.docker('h1', ['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
      expect(names).not.toContain('plain');
      expect(names.some((n) => n.startsWith('tss-'))).toBe(true);
      const r = await lab.docker('h1', ['run', '--rm', '--network', 'plain', IMAGE, 'true'], { check: false });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/network plain not found/);
    } finally {
      await cli(['service', 'rm', 'inner']);
    }
  }, 120_000);

  it('network rm after cleanup leaves no device and no engine network', async () => {
    await cli(['service', 'rm', 'web']);
    await eventually(async () => (await cli(['network', 'rm', 'shared', 'plain'])).code === 0 || undefined, { timeoutMs: 30_000, what: 'network rm once the services are gone' });
    for (const h of HOSTS) {
      let left: string[] = [];
      await eventually(async () => ((left = await ourDevices(h)).length === 0 ? true : undefined), { timeoutMs: 30_000, what: `no overlay device left on ${h}` }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}: ${left.join(', ')}`);
      });
      await eventually(async () => ((await lab.docker(h, ['network', 'ls', '--filter', 'label=com.tsswarm.network.id', '-q'])).stdout.trim() === '' ? true : undefined), { timeoutMs: 30_000, what: `no engine network left on ${h}` });
    }
  }, 120_000);
});
