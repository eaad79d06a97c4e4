/**
 * The ingress routing mesh on three lab hosts with real engines, reached from outside the
 * cluster: the client is the machine's root namespace on the lab bridge (10.199.13.1), which is
 * no cluster node. A service with 3 replicas on 2 of the 3 nodes publishes 8080/tcp and
 * 5353/udp: every node's address answers (the one without a task too), every replica answers,
 * and every backend sees the client's own address. A rolling update (both orders) and a
 * scale-down under a bounded load through the node without a task lose no request. Host-mode
 * ports answer only where a task runs, and a replica more than nodes stays pending with the
 * reason. `--publish-rm` and removing everything leave no table, DOCKER-USER rule or marked
 * conntrack entry. Last, a dnsrr service publishes through the mesh too, a node is killed (the
 * others keep answering) and another leaves (its table and rule go). Needs root. Lab `tsing` on net 13.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/swarm/api/views.js';
import { Lab, eventually, teardownLab, type LabConfig } from './harness.js';
import { SwarmNodes } from './swarm-nodes.js';

const CFG: LabConfig = { name: 'tsing', net: 13 };
const HOSTS = ['h1', 'h2', 'h3'];
const IMAGE = 'tscompose-test/busybox:latest';
/** httpd answering `/` with its hostname and `/cgi-bin/ip` with "hostname REMOTE_ADDR"; SIGTERM ends it. */
const WEB = [
  'sh',
  '-c',
  "trap 'exit 0' TERM; mkdir -p /www/cgi-bin && hostname > /www/index.html && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $(hostname) $REMOTE_ADDR\\n' > /www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && httpd -f -p 80 -h /www & wait",
];
/** A UDP server run from the machine inside a task's netns (busybox has none): answers each datagram with the sender's address. */
const UDP_SERVER = `
const u = require('node:dgram').createSocket('udp4');
u.on('message', (m, r) => u.send(process.argv[1] + ' ' + r.address, r.port, r.address)); u.bind(5353);
setTimeout(() => process.exit(0), 600000);
`;

let lab: Lab;
let sw: SwarmNodes;
const children: ChildProcess[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function cli(args: string[], timeoutMs = 90_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await sw.cli('h1', args, timeoutMs);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

async function tasks(service: string): Promise<TaskView[]> {
  return (await sw.local<{ tasks: TaskView[] }>('h1', `/v1/services/${service}/tasks`)).tasks;
}

const isUp = (t: TaskView): boolean => t.desiredState === 'running' && t.state === 'running';
/** Exactly n running, and (unless `pending` is allowed) nothing else still wanted. */
async function upTasks(service: string, n: number, o: { pending?: boolean } = {}): Promise<TaskView[]> {
  return eventually(async () => {
    const ts = await tasks(service);
    const up = ts.filter(isUp);
    return up.length === n && (o.pending === true || ts.every((t) => isUp(t) || t.desiredState !== 'running')) ? up : undefined;
  }, { timeoutMs: 90_000, intervalMs: 200, what: `${n} running tasks of ${service}` });
}

/** One HTTP GET from the root namespace (outside the cluster): the body, or the error code. */
function get(host: string, port: number, path = '/', timeoutMs = 2000): Promise<{ ok: boolean; body: string }> {
  return new Promise((resolve) => {
    // busybox httpd passes a CGI's bare-LF headers through; Node's parser wants CRLF.
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs, insecureHTTPParser: true }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ ok: res.statusCode === 200, body: body.trim() }));
      res.on('error', (e) => resolve({ ok: false, body: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, body: e.code ?? e.message }));
  });
}

function udp(host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => (s.close(), resolve('timeout')), timeoutMs);
    s.on('message', (m) => (clearTimeout(t), s.close(), resolve(m.toString().trim())));
    s.send('hi', port, host);
  });
}

/** Task containers of a service on every host: host, container id, netns pid. */
async function containers(service: string): Promise<Array<{ host: string; id: string; pid: number }>> {
  const out: Array<{ host: string; id: string; pid: number }> = [];
  for (const h of HOSTS) {
    const ids = (await lab.docker(h, ['ps', '-q', '--no-trunc', '--filter', `label=com.tsswarm.service.name=${service}`])).stdout.split('\n').filter(Boolean);
    for (const id of ids) out.push({ host: h, id, pid: Number((await lab.docker(h, ['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim()) });
  }
  return out;
}

/**
 * A bounded load: `conc` loops of one GET each (a new connection every time) to host:port until
 * stopped, at most `maxMs` and `maxCount` requests. Returns totals and the failures with times.
 */
function load(host: string, port: number, o: { conc: number; maxMs: number; maxCount: number }) {
  const t0 = Date.now();
  let stop = false;
  let ok = 0;
  const failed: string[] = [];
  const loops = Array.from({ length: o.conc }, async () => {
    while (!stop && Date.now() - t0 < o.maxMs && ok + failed.length < o.maxCount) {
      const r = await get(host, port, '/', 3000);
      if (r.ok) ok++;
      else failed.push(`${Date.now() - t0} ms: ${r.body}`);
    }
  });
  return {
    get count() {
      return ok + failed.length;
    },
    async stop() {
      stop = true;
      await Promise.all(loops);
      const s = (Date.now() - t0) / 1000;
      return { ok, failed, rate: Math.round((ok + failed.length) / s) };
    },
  };
}

async function waitUpdate(service: string): Promise<void> {
  await eventually(async () => {
    const s = (await sw.local<{ service: { updateStatus: { state: string } | null } }>('h1', `/v1/services/${service}`)).service;
    return s.updateStatus?.state === 'completed' ? true : undefined;
  }, { timeoutMs: 120_000, intervalMs: 200, what: `the update of ${service} to complete` });
}

describe('ingress routing mesh: published ports from outside the cluster', () => {
  beforeAll(async () => {
    await teardownLab(CFG);
    lab = await Lab.up({ ...CFG, hosts: 3 });
    sw = new SwarmNodes(lab, { heartbeatMs: 1000 });
    await sw.form(HOSTS);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    sw.dumpLogs(HOSTS, 40);
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    if (process.env.TSLAB_KEEP === '1') return;
    await sw?.stopAll();
    await lab?.teardown();
  }, 180_000);

  const addrs = (): string[] => HOSTS.map((h) => lab.host(h).ip);

  it('every node answers 8080/tcp and 5353/udp, the node without a task too; every replica answers and sees the client', async () => {
    expect((await cli(['network', 'ls'])).stdout).toMatch(/\bingress\b/);
    const c = await cli(['service', 'create', '--name', 'web', '--replicas', '3', '--replicas-max-per-node', '2', '--constraint', 'node.hostname!=h3', '-p', '8080:80', '-p', '5353:5353/udp', '-d', IMAGE, ...WEB]);
    expect(c.code, c.stderr).toBe(0);
    await upTasks('web', 3);
    const backends = await containers('web');
    expect(backends.length).toBe(3);
    expect(backends.some((b) => b.host === 'h3')).toBe(false);
    for (const b of backends) {
      const p = spawn('nsenter', [`--net=/proc/${b.pid}/ns/net`, process.execPath, '-e', UDP_SERVER, b.id.slice(0, 12)], { stdio: 'ignore' });
      children.push(p);
    }
    const client = lab.bridgeIp;
    const seen = new Set<string>();
    for (const a of addrs()) {
      const t0 = Date.now();
      await eventually(async () => {
        const r = await get(a, 8080, '/cgi-bin/ip');
        if (!r.ok) console.log(`[ingress] ${Date.now() - t0} ms: ${a}:8080 ${r.body}`);
        return r.ok ? true : undefined;
      }, { timeoutMs: 30_000, intervalMs: 200, what: `8080 on ${a}` });
      for (let i = 0; i < 20; i++) {
        const r = await get(a, 8080, '/cgi-bin/ip');
        expect(r.ok, r.body).toBe(true);
        const [name, remote] = r.body.split(' ');
        // httpd listens on [::]: an IPv4 client shows as ::ffff:a.b.c.d.
        expect(remote!.replace(/^\[?(::ffff:)?|\]$/g, ''), `${a}: ${r.body}`).toBe(client);
        seen.add(name!);
      }
      const u = await eventually(async () => {
        const x = await udp(a, 5353);
        return x === 'timeout' ? undefined : x;
      }, { timeoutMs: 10_000, intervalMs: 100, what: `5353/udp on ${a}` });
      expect(u.split(' ')[1], `${a}: ${u}`).toBe(client);
    }
    console.log(`[ingress] 60 requests over ${addrs().join(', ')} answered by ${[...seen].join(' ')}; every backend saw ${client}`);
    expect([...seen].sort()).toEqual(backends.map((b) => b.id.slice(0, 12)).sort());
    // An ingress port of another service on the same number is refused, naming web.
    const dup = await cli(['service', 'create', '--name', 'dup', '-p', '8080:80', '-d', IMAGE, ...WEB]);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/8080.*web/);
  }, 180_000);

  it('rolling updates (start-first, stop-first) and a scale-down through the node without a task lose no request', async () => {
    const entry = lab.host('h3').ip;
    for (const step of [['--update-order', 'start-first'], ['--update-order', 'stop-first'], null] as const) {
      const l = load(entry, 8080, { conc: 6, maxMs: 100_000, maxCount: 60_000 });
      await eventually(() => (l.count >= 200 ? true : undefined), { timeoutMs: 10_000, intervalMs: 20, what: '200 requests before the change' });
      const t0 = Date.now();
      if (step === null) {
        expect((await cli(['service', 'scale', '-d', 'web=2'])).code).toBe(0);
        await upTasks('web', 2);
      } else {
        const u = await cli(['service', 'update', '--force', ...step, '--update-parallelism', '1', '-d', 'web']);
        expect(u.code, u.stderr).toBe(0);
        await waitUpdate('web');
      }
      const took = Date.now() - t0;
      const n = l.count;
      await eventually(() => (l.count >= n + 200 ? true : undefined), { timeoutMs: 10_000, intervalMs: 20, what: '200 requests after the change' });
      const r = await l.stop();
      console.log(`[ingress] ${step?.join(' ') ?? 'scale 3 -> 2'}: ${took} ms; ${r.ok} ok, ${r.failed.length} failed, ${r.rate} requests/s through ${entry}`);
      expect(r.failed).toEqual([]);
      expect(r.rate).toBeGreaterThanOrEqual(200);
    }
  }, 400_000);

  it('host mode: the port answers only where a task runs; a replica more than nodes stays pending with the reason', async () => {
    const c = await cli(['service', 'create', '--name', 'hostweb', '--replicas', '4', '--publish', 'published=9090,target=80,mode=host', '-d', IMAGE, ...WEB]);
    expect(c.code, c.stderr).toBe(0);
    await upTasks('hostweb', 3, { pending: true });
    const pending = await eventually(async () => (await tasks('hostweb')).find((t) => t.desiredState === 'running' && t.state === 'pending' && /host port 9090\/tcp/.test(t.error)), { timeoutMs: 30_000, intervalMs: 200, what: 'the 4th replica pending on the host port' });
    console.log(`[ingress] host mode, 4th replica: ${pending.state}: ${pending.error}`);
    for (const a of addrs()) expect((await get(a, 9090)).ok).toBe(true);
    expect((await cli(['service', 'scale', '-d', 'hostweb=1'])).code).toBe(0);
    const [one] = await upTasks('hostweb', 1);
    for (const h of HOSTS) {
      const r = await eventually(async () => {
        const x = await get(lab.host(h).ip, 9090, '/', 1000);
        return x.ok === (h === one!.node) ? x : undefined;
      }, { timeoutMs: 20_000, intervalMs: 200, what: `9090 on ${h} ${h === one!.node ? 'answering' : 'refused'}` });
      expect(r.ok).toBe(h === one!.node);
    }
  }, 180_000);

  it('--publish-rm takes a port off every node with its flows; removing the services leaves no entry table, DOCKER-USER rule or marked conntrack entry on any node', async () => {
    // A UDP flow through the port (the tasks' UDP servers went with the updates: no answer needed).
    await udp(lab.host('h1').ip, 5353, 300);
    expect((await lab.exec('h1', ['conntrack', '-L', '-p', 'udp', '--orig-port-dst', '5353', '-m', '0x10000000/0x10000000'], { check: false })).stdout).toContain('dport=5353');
    const rm = await cli(['service', 'update', '--publish-rm', '5353/udp', '-d', 'web']);
    expect(rm.code, rm.stderr).toBe(0);
    for (const h of HOSTS) {
      await eventually(async () => ((await lab.exec(h, ['nft', 'list', 'table', 'ip', 'tsswarm-ingress'])).stdout.includes('5353') ? undefined : true), { timeoutMs: 20_000, intervalMs: 200, what: `5353 gone from ${h}'s table` });
      // The flows go in the same sync, right after the table changed (never before: a packet in
      // between would make a new marked flow), so they are waited for too.
      const ct = await eventually(async () => {
        const r = await lab.exec(h, ['conntrack', '-L', '-p', 'udp', '--orig-port-dst', '5353', '-m', '0x10000000/0x10000000'], { check: false });
        return r.stdout.trim() === '' ? r : undefined;
      }, { timeoutMs: 10_000, intervalMs: 100, what: `no marked 5353/udp flow on ${h}` });
      expect(ct.stdout.trim(), `${h}: ${ct.stdout}`).toBe('');
    }
    expect((await get(lab.host('h3').ip, 8080)).ok).toBe(true);
    for (const s of ['web', 'hostweb']) expect((await cli(['service', 'rm', s])).code).toBe(0);
    for (const h of HOSTS) {
      await eventually(async () => {
        const t = await lab.exec(h, ['nft', 'list', 'tables']);
        return t.stdout.includes('tsswarm-ingress') ? undefined : true;
      }, { timeoutMs: 30_000, intervalMs: 200, what: `no ingress table on ${h}` });
      // The forward rule and the flows go right after the table, in the same sync.
      await eventually(async () => {
        const rules = await lab.exec(h, ['iptables', '-w', '-S', 'DOCKER-USER'], { check: false });
        const ct = await lab.exec(h, ['conntrack', '-L', '-m', '0x10000000/0x10000000'], { check: false });
        return rules.stdout.includes('tsswarm-ingress') || ct.stdout.trim() !== '' ? undefined : true;
      }, { timeoutMs: 10_000, intervalMs: 200, what: `no DOCKER-USER rule or marked flow on ${h}` });
    }
    for (const a of addrs()) expect((await get(a, 8080, '/', 1000)).ok).toBe(false);
  }, 120_000);

  it('a dnsrr service publishes through the mesh; a node killed (daemon and engine): the other nodes keep answering, and nothing goes to its tasks', async () => {
    // dnsrr: Swarm refuses published ports without a VIP (swarmkit#1693); our mesh DNATs to task addresses.
    const c = await cli(['service', 'create', '--name', 'web2', '--endpoint-mode', 'dnsrr', '--replicas', '3', '--replicas-max-per-node', '1', '-p', '8081:80', '-d', IMAGE, ...WEB]);
    expect(c.code, c.stderr).toBe(0);
    await upTasks('web2', 3);
    for (const a of addrs()) await eventually(async () => ((await get(a, 8081)).ok ? true : undefined), { timeoutMs: 20_000, intervalMs: 200, what: `8081 on ${a}` });
    const onH2 = (await containers('web2')).find((b) => b.host === 'h2')!.id.slice(0, 12);
    await sw.kill('h2');
    await lab.killDockerd('h2', 'SIGKILL');
    await eventually(async () => {
      const nodes = (await sw.local<{ nodes: Array<{ hostname: string; status: string }> }>('h1', '/v1/nodes')).nodes;
      return nodes.find((n) => n.hostname === 'h2')?.status === 'down' ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'h2 down' });
    await sleep(1500);
    const bodies: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await get(i % 2 === 0 ? lab.host('h1').ip : lab.host('h3').ip, 8081);
      expect(r.ok, r.body).toBe(true);
      bodies.push(r.body);
    }
    expect(bodies).not.toContain(onH2);
    // A node that leaves takes the mesh with it.
    const leave = await sw.cli('h3', ['leave'], 60_000);
    expect(leave.code, leave.stderr).toBe(0);
    expect((await lab.exec('h3', ['nft', 'list', 'tables'])).stdout).not.toContain('tsswarm-ingress');
    expect((await lab.exec('h3', ['iptables', '-w', '-S', 'DOCKER-USER'], { check: false })).stdout).not.toContain('tsswarm-ingress');
    expect((await get(lab.host('h3').ip, 8081, '/', 1000)).ok).toBe(false);
  }, 180_000);
});
