/**
 * The ingress mesh's dataplane on the real kernel, in namespaces of its own (no engine): two
 * "hosts" (A, B) and a client on an underlay bridge, one VXLAN overlay between A and B with each
 * host's shim (MAC derived from its address, as the overlay planner makes it), a backend "task"
 * on each host (a macvlan of the VXLAN device in a namespace of its own). The client connects to
 * A's underlay address: the published port is DNATed by A's table to a backend on B or on A, and
 * the backend, whose netns has no default route at all, replies through A by the reply routing:
 * it sees the client's own address, over TCP and UDP. An snat port shows A's ingress address
 * instead; a backend taken out gets no new connection; null removes the table.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnRunner, type CommandRunner } from '../../src/net/lb/command.js';
import { IngressHostProgrammer, IngressReplyProgrammer, type IngressHostTable } from '../../src/net/ingress/index.js';
import { macForIp } from '../../src/net/overlay/index.js';

const sh = promisify(execFile);
const P = `tsig${process.pid % 10000}`;
const NS = { client: `${P}c`, a: `${P}a`, b: `${P}b`, ta: `${P}ta`, tb: `${P}tb`, under: `${P}u` };
const U = { client: '192.168.251.1', a: '192.168.251.2', b: '192.168.251.3' };
const GW = { a: '10.251.0.2', b: '10.251.0.3' };
const TASK = { a: '10.251.0.20', b: '10.251.0.30' };
const children: ChildProcess[] = [];

const ip = (ns: string, ...args: string[]) => sh('ip', ['-n', ns, ...args]);
const inNs = (ns: string, ...argv: string[]) => sh('nsenter', [`--net=/run/netns/${ns}`, ...argv], { timeout: 20_000 });
const runIn = (ns: string): CommandRunner => {
  const run = spawnRunner();
  return (argv, stdin) => run(['nsenter', `--net=/run/netns/${ns}`, ...argv], stdin);
};

/** Answers every TCP connection and UDP datagram on `port` with the peer's address; bounded to 5 minutes. */
const SERVER = `
const net = require('node:net'), dgram = require('node:dgram');
const port = Number(process.argv[1]);
net.createServer((s) => s.end(s.remoteAddress + '\\n')).listen(port, '0.0.0.0');
const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(r.address + '\\n', r.port, r.address)); u.bind(port);
setTimeout(() => process.exit(0), 300000);
`;
/** One TCP connection or UDP datagram from the client's netns; prints the answer or the error. */
const CLIENT = `
const net = require('node:net'), dgram = require('node:dgram');
const [proto, host, port] = [process.argv[1], process.argv[2], Number(process.argv[3])];
const done = (s) => { process.stdout.write(String(s).trim()); process.exit(0); };
setTimeout(() => done('timeout'), 3000);
if (proto === 'tcp') { let b = ''; const c = net.connect(port, host); c.on('data', (d) => (b += d)); c.on('end', () => done(b)); c.on('error', (e) => done(e.code)); }
else { const u = dgram.createSocket('udp4'); u.on('message', (m) => done(m)); u.send('hi', port, host); }
`;
async function ask(proto: 'tcp' | 'udp', port: number, host = U.a): Promise<string> {
  return (await inNs(NS.client, process.execPath, '-e', CLIENT, proto, host, String(port))).stdout;
}

async function topology(): Promise<void> {
  for (const n of Object.values(NS)) await sh('ip', ['netns', 'add', n]);
  await ip(NS.under, 'link', 'add', 'br0', 'type', 'bridge');
  await ip(NS.under, 'link', 'set', 'br0', 'up');
  for (const k of ['client', 'a', 'b'] as const) {
    await sh('ip', ['link', 'add', `${P}${k}0`, 'netns', NS[k], 'type', 'veth', 'peer', 'name', `p${k}`, 'netns', NS.under]);
    await ip(NS.under, 'link', 'set', `p${k}`, 'master', 'br0', 'up');
    await ip(NS[k], 'addr', 'add', `${U[k]}/24`, 'dev', `${P}${k}0`);
    await ip(NS[k], 'link', 'set', `${P}${k}0`, 'up');
    await ip(NS[k], 'link', 'set', 'lo', 'up');
  }
  for (const [k, peer] of [['a', 'b'], ['b', 'a']] as const) {
    await ip(NS[k], 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '251', 'dstport', '4789', 'local', U[k], 'nolearning');
    await ip(NS[k], 'link', 'set', 'vx0', 'up');
    await sh('bridge', ['-n', NS[k], 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx0', 'dst', U[peer]]);
    for (const mac of [macForIp(GW[peer]), macForIp(TASK[peer])]) await sh('bridge', ['-n', NS[k], 'fdb', 'append', mac, 'dev', 'vx0', 'dst', U[peer]]);
    await ip(NS[k], 'link', 'add', 'gw0', 'link', 'vx0', 'address', macForIp(GW[k]), 'type', 'macvlan', 'mode', 'bridge');
    await ip(NS[k], 'addr', 'add', `${GW[k]}/24`, 'dev', 'gw0');
    await ip(NS[k], 'link', 'set', 'gw0', 'up');
    await inNs(NS[k], 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    const t = k === 'a' ? NS.ta : NS.tb;
    await ip(NS[k], 'link', 'add', 'tk0', 'link', 'vx0', 'address', macForIp(TASK[k]), 'type', 'macvlan', 'mode', 'bridge');
    await ip(NS[k], 'link', 'set', 'tk0', 'netns', t);
    await ip(t, 'link', 'set', 'tk0', 'name', 'eth1');
    await ip(t, 'addr', 'add', `${TASK[k]}/24`, 'dev', 'eth1');
    await ip(t, 'link', 'set', 'eth1', 'up');
    await ip(t, 'link', 'set', 'lo', 'up');
    const srv = spawn('nsenter', [`--net=/run/netns/${t}`, process.execPath, '-e', SERVER, '80'], { stdio: 'ignore' });
    children.push(srv);
  }
}

const host = new IngressHostProgrammer({ run: runIn(NS.a) });
const table = (ports: IngressHostTable['ports']): IngressHostTable => ({ shim: 'gw0', ports });

describe('ingress dataplane (real kernel, namespaces of its own)', () => {
  beforeAll(async () => {
    await topology();
    for (const [t, self] of [[NS.ta, GW.a], [NS.tb, GW.b]] as const) {
      const reply = new IngressReplyProgrammer({ run: spawnRunner(), macForIp });
      const address = t === NS.ta ? TASK.a : TASK.b;
      expect(await reply.sync(`/run/netns/${t}`, { address, gateways: [GW.a, GW.b], self })).toBe(true);
      // Unchanged: nothing runs.
      expect(await reply.sync(`/run/netns/${t}`, { address, gateways: [GW.b, GW.a], self })).toBe(false);
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const n of Object.values(NS)) await sh('ip', ['netns', 'del', n]).catch(() => undefined);
  });

  it('a published port reaches a backend on another host and on the entry host, which both see the client', async () => {
    await host.sync(table([{ protocol: 'tcp', port: 8080, target: 80, snat: false, backends: [TASK.b] }, { protocol: 'udp', port: 5353, target: 80, snat: false, backends: [TASK.b] }]));
    expect(await ask('tcp', 8080)).toBe(U.client);
    expect(await ask('udp', 5353)).toBe(U.client);
    await host.sync(table([{ protocol: 'tcp', port: 8080, target: 80, snat: false, backends: [TASK.a] }]));
    expect(await ask('tcp', 8080)).toBe(U.client);
    // The backend on B has no route to the client but through the reply routing.
    expect((await inNs(NS.tb, 'ip', 'route', 'show')).stdout).not.toMatch(/default/);
  });

  it('spreads new connections over every backend, and a backend taken out gets none', async () => {
    const seen = new Map<string, number>();
    await host.sync(table([{ protocol: 'tcp', port: 8080, target: 80, snat: false, backends: [TASK.a, TASK.b] }]));
    // The conntrack entries on A name the backend each connection went to.
    for (let i = 0; i < 16; i++) expect(await ask('tcp', 8080)).toBe(U.client);
    const ct = (await inNs(NS.a, 'conntrack', '-L', '-p', 'tcp', '--orig-port-dst', '8080')).stdout;
    for (const b of [TASK.a, TASK.b]) seen.set(b, ct.split('\n').filter((l) => l.includes(`src=${b} `)).length);
    expect(seen.get(TASK.a)).toBeGreaterThan(0);
    expect(seen.get(TASK.b)).toBeGreaterThan(0);
    await inNs(NS.a, 'conntrack', '-F');
    await host.sync(table([{ protocol: 'tcp', port: 8080, target: 80, snat: false, backends: [TASK.b] }]));
    for (let i = 0; i < 8; i++) expect(await ask('tcp', 8080)).toBe(U.client);
    const after = (await inNs(NS.a, 'conntrack', '-L', '-p', 'tcp', '--orig-port-dst', '8080')).stdout;
    expect(after).not.toContain(`src=${TASK.a} `);
  });

  it('an snat port shows the entry node to the backend; a port without backends is refused by the host', async () => {
    await host.sync(table([{ protocol: 'tcp', port: 8081, target: 80, snat: true, backends: [TASK.b] }, { protocol: 'tcp', port: 8082, target: 80, snat: false, backends: [] }]));
    expect(await ask('tcp', 8081)).toBe(GW.a);
    expect(await ask('tcp', 8082)).toBe('ECONNREFUSED');
    expect(await ask('tcp', 8080)).toBe('ECONNREFUSED');
  });

  it('null removes the table and the port\'s marked flows; an unchanged table is not written again', async () => {
    const t = table([{ protocol: 'tcp', port: 8080, target: 80, snat: false, backends: [TASK.b] }]);
    await host.sync(t);
    expect(await host.sync(t)).toBe(false);
    expect(await ask('tcp', 8080)).toBe(U.client);
    expect((await inNs(NS.a, 'conntrack', '-L', '-m', '0x10000000/0x10000000')).stdout).toContain('dport=8080');
    expect(await host.sync(null)).toBe(true);
    // The mesh's flows go with the port.
    expect((await inNs(NS.a, 'conntrack', '-L', '-m', '0x10000000/0x10000000')).stdout.trim()).toBe('');
    expect((await inNs(NS.a, 'nft', 'list', 'tables')).stdout).not.toContain('tsswarm-ingress');
    expect(await ask('tcp', 8080)).toBe('ECONNREFUSED');
  });
});
