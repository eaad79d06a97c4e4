/**
 * The nftables VIP load balancer on the real kernel and the real Docker engine: a VIP programmed
 * in a client container's namespace spreads TCP (two ports) and UDP over three backend
 * containers, a partial sync takes a backend out (no new request reaches it; once the background
 * conntrack cleanup has run, a UDP flow that was stuck to it moves on at the next datagram, while
 * its TCP flows stay), an empty VIP refuses at once, the kernel's table reads back as
 * wanted, and remove() leaves nothing. A second part drives random table sequences through real
 * nft in a namespace of our own, including a table changed behind the programmer's back.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NftLbProgrammer, readNftLb, type VipTable } from '../../src/net/lb/index.js';
import { TEST_IMAGE, eventually } from './compose-helpers.js';

const sh = promisify(execFile);
const ID = `tslb${process.pid}`;
const NET = `${ID}-net`;
const BACKENDS = ['b1', 'b2', 'b3'].map((b) => `${ID}-${b}`);
const CLIENT = `${ID}-client`;
const OWN_NETNS = `${ID}ns`;
const children: ChildProcess[] = [];

async function docker(...args: string[]): Promise<string> {
  return (await sh('docker', args, { timeout: 60_000 })).stdout.trim();
}
async function dockerExec(container: string, script: string, timeoutMs = 30_000): Promise<{ out: string; err: string; code: number }> {
  try {
    const r = await sh('docker', ['exec', container, 'sh', '-c', script], { timeout: timeoutMs });
    return { out: r.stdout, err: r.stderr, code: 0 };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; code?: number };
    return { out: x.stdout ?? '', err: x.stderr ?? '', code: typeof x.code === 'number' ? x.code : -1 };
  }
}
const pidOf = async (c: string) => Number(await docker('inspect', '-f', '{{.State.Pid}}', c));
const ipOf = async (c: string) => docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${NET}").IPAddress}}`, c);
const count = (lines: string[]) => lines.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());

/** UDP: answers each datagram with its backend's name; started in the backend's namespace, bounded. */
const UDP_SERVER = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 9999)); s.settimeout(1)
end = time.time() + 240
while time.time() < end:
    try: d, a = s.recvfrom(100)
    except socket.timeout: continue
    s.sendto(sys.argv[1].encode(), a)
`;
/** UDP client: N datagrams, each from a new socket (a new flow); prints the answer or the error. */
const UDP_CLIENT = `
import socket, sys
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); s.connect((sys.argv[1], 9999))
    try: s.send(b'hi'); print(s.recv(100).decode())
    except Exception as e: print(type(e).__name__)
    s.close()
`;

/** One UDP flow (fixed source port, so the same conntrack entry each run): N datagrams, the answers. */
const UDP_STICKY = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.bind(('0.0.0.0', int(sys.argv[2]))); s.connect((sys.argv[1], 9999))
for i in range(int(sys.argv[3])):
    try: s.send(b'hi'); print(s.recv(100).decode())
    except Exception as e: print(type(e).__name__)
`;

let vip = '';
let clientNs = '';
const ips = new Map<string, string>(); // backend IP -> name
const lb = new NftLbProgrammer();

async function tcp(port: number, n: number): Promise<string[]> {
  // nc, not wget: this static busybox's wget segfaults (see DESIGN); the body is the last line.
  const r = await dockerExec(CLIENT, `for i in $(seq ${n}); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${vip} ${port} 2>&1 | tail -n 1; done`);
  return r.out.split('\n').filter((l) => l !== '');
}
async function udp(n: number): Promise<string[]> {
  const r = await sh('nsenter', [`--net=${clientNs}`, '/usr/bin/python3', '-c', UDP_CLIENT, vip, String(n)], { timeout: 60_000 });
  return r.stdout.split('\n').filter((l) => l !== '');
}
async function udpFrom(port: number, n: number): Promise<string[]> {
  const r = await sh('nsenter', [`--net=${clientNs}`, '/usr/bin/python3', '-c', UDP_STICKY, vip, String(port), String(n)], { timeout: 60_000 });
  return r.stdout.split('\n').filter((l) => l !== '');
}
const table = (backendIps: string[]): VipTable => ({ vips: [{ vip, backends: backendIps }] });

beforeAll(async () => {
  await docker('network', 'create', NET);
  const subnet = await docker('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', NET);
  // Docker hands out addresses from the bottom of the subnet; .250 stays free for four containers.
  vip = subnet.replace(/\.\d+\/\d+$/, '.250');
  for (const b of BACKENDS) {
    const name = b.slice(ID.length + 1);
    await docker('run', '-d', '--name', b, '--network', NET, TEST_IMAGE, 'sh', '-c',
      `trap 'exit 0' TERM; mkdir -p /www; echo ${name} > /www/index.html; httpd -f -p 80 -h /www & httpd -f -p 8080 -h /www & wait`);
  }
  await docker('run', '-d', '--name', CLIENT, '--network', NET, TEST_IMAGE, 'sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait");
  for (const b of BACKENDS) {
    const ip = await ipOf(b);
    ips.set(ip, b.slice(ID.length + 1));
    const child = spawn('nsenter', [`--net=/proc/${await pidOf(b)}/ns/net`, '/usr/bin/python3', '-c', UDP_SERVER, b.slice(ID.length + 1)], { stdio: 'ignore' });
    children.push(child);
  }
  clientNs = `/proc/${await pidOf(CLIENT)}/ns/net`;
  // Each httpd answers by its own address before any VIP exists (else "refused" means "not up yet").
  for (const [ip, name] of ips) {
    for (const port of [80, 8080]) {
      const probe = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} ${port} | tail -n 1`;
      await eventually(async () => (await dockerExec(CLIENT, probe)).out.trim() === name, `${name}:${port} up`, 20_000, 200);
    }
  }
  await sh('ip', ['netns', 'add', OWN_NETNS]);
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill();
  await sh('docker', ['rm', '-f', ...BACKENDS, CLIENT]).catch(() => undefined);
  await sh('docker', ['network', 'rm', NET]).catch(() => undefined);
  await sh('ip', ['netns', 'del', OWN_NETNS]).catch(() => undefined);
}, 120_000);

describe('nftables VIP in a client container', () => {
  it('spreads TCP on any port and UDP over all backends, takes one out, refuses when empty, removes cleanly', async () => {
    const all = [...ips.keys()];
    const r1 = await lb.sync(clientNs, table(all));
    expect(r1.mode).toBe('full');

    // The kernel's table is what we asked for.
    const snap = await readNftLb(clientNs);
    expect(snap?.table).toEqual({ vips: [{ vip, backends: [...all].sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3])) }] });
    expect(snap?.hooks).toEqual(['nat-output:nat:output:-100', 'refuse-output:filter:output:0']);
    expect(snap?.chains).toEqual([`mod-${all.length}`, 'nat-output', 'refuse-output'].sort());

    // ~30 TCP requests on each of two ports and 30 UDP flows: every backend answers.
    const names = new Set(ips.values());
    for (const port of [80, 8080]) {
      const got = await tcp(port, 30);
      expect(got).toHaveLength(30);
      expect(new Set(got)).toEqual(names);
    }
    await eventually(async () => (await udp(1))[0] !== 'timeout' || undefined, 'UDP servers up', 10_000, 200);
    const u = await udp(30);
    expect(new Set(u)).toEqual(names);

    // Long-lived flows through the VIP; then the backend holding one of them is taken out.
    await dockerExec(CLIENT, `for i in $(seq 9); do (sleep 25 | nc ${vip} 80 >/dev/null) & done; sleep 0.5`);
    const flows = async () => {
      const r = await sh('nsenter', [`--net=${clientNs}`, 'conntrack', '-L', '-p', 'tcp', '--orig-dst', vip]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
      return r.stdout.split('\n').flatMap((l) => (/ESTABLISHED/.test(l) ? [/src=\S+ dst=\S+ sport=\d+ dport=\d+ src=(\S+)/.exec(l)?.[1] ?? ''] : []));
    };
    const before = await eventually(async () => ((await flows()).length >= 9 ? flows() : undefined), 'nine established flows');
    const gone = before[0]!;
    const keep = all.filter((ip) => ip !== gone);
    // A UDP flow that the DNAT sent to that backend: try source ports until one lands there; its
    // conntrack entry keeps every later datagram from that port on the same backend.
    let sticky = 0;
    for (let port = 40_001; port < 40_060 && sticky === 0; port++) if ((await udpFrom(port, 1))[0] === ips.get(gone)) sticky = port;
    expect(sticky).toBeGreaterThan(0);
    expect(await udpFrom(sticky, 3)).toEqual(Array(3).fill(ips.get(gone)));

    const r2 = await lb.sync(clientNs, table(keep));
    expect(r2.mode).toBe('partial');
    // Only elements: the removed index and those after it move down (at most 2N elements).
    expect(r2.bytes).toBeLessThan(600);
    // sync() resolved at the commit; the conntrack cleanup runs after it, in the background. Once
    // it has, the UDP flows to the removed backend are gone (else a chatty client sticks to it) and
    // the sticky flow's next datagram meets the DNAT again; the established TCP flows stay, so
    // requests in flight finish while the task drains.
    const c2 = await r2.cleanup;
    expect(c2).toMatchObject({ warnings: [] });
    expect(c2.conntrackDeleted).toBeGreaterThanOrEqual(1);
    const moved = await udpFrom(sticky, 3);
    expect(moved).toHaveLength(3);
    for (const answer of moved) expect(keep.map((ip) => ips.get(ip))).toContain(answer);
    const after = await flows();
    expect(after.sort()).toEqual([...before].sort());

    const got = [...(await tcp(80, 30)), ...(await udp(30))];
    expect(got).toHaveLength(60);
    expect(count(got).get(ips.get(gone)!)).toBeUndefined();
    expect(new Set(got)).toEqual(new Set(keep.map((ip) => ips.get(ip)!)));

    // No backends: refused at once (TCP reset, ICMP port unreachable for UDP), not a timeout.
    expect((await lb.sync(clientNs, table([]))).mode).toBe('partial');
    const t0 = Date.now();
    const refused = await dockerExec(CLIENT, `nc -w 5 ${vip} 80 </dev/null`);
    const ms = Date.now() - t0;
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/Connection refused/);
    expect(ms).toBeLessThan(1000);
    // UDP: the reject runs in the sender's own output path, so send() itself fails (EPERM) at once.
    for (const answer of await udp(2)) expect(['PermissionError', 'ConnectionRefusedError']).toContain(answer);
    expect((await readNftLb(clientNs))?.chains).toEqual(['nat-output', 'refuse-output']);

    // Backends again, then remove(): no table is left.
    expect((await lb.sync(clientNs, table(all))).mode).toBe('partial');
    expect(new Set(await tcp(80, 30))).toEqual(names);
    await lb.remove(clientNs);
    expect(await readNftLb(clientNs)).toBeUndefined();
    await lb.remove(clientNs);
    console.log(`[net-lb] full ${r1.bytes} B, partial ${r2.bytes} B, conntrack deleted ${c2.conntrackDeleted}, refused in ${ms} ms (docker exec included)`);
  }, 180_000);
});

describe('real nft, random table sequences (own namespace)', () => {
  it('leaves exactly the wanted table after every sync, partial or fallback', async () => {
    const ns = `/var/run/netns/${OWN_NETNS}`;
    const prog = new NftLbProgrammer();
    const ip = fc.integer({ min: 1, max: 9 }).map((n) => `10.77.0.${n}`);
    const gen = fc.dictionary(fc.integer({ min: 1, max: 7 }).map((n) => `10.77.1.${n}`), fc.uniqueArray(ip, { maxLength: 5 }), { maxKeys: 6 });
    const tables = fc.sample(gen, { numRuns: 40, seed: 7 });
    const modes = new Map<string, number>();
    for (const [i, want] of tables.entries()) {
      if (i === 20) {
        // Behind our back: drop a VIP chain (and its element), as a stray `nft` command would.
        await sh('nsenter', [`--net=${ns}`, 'nft', 'flush', 'table', 'ip', 'tsswarm-lb']);
      }
      const t: VipTable = { vips: Object.entries(want).map(([vip, backends]) => ({ vip, backends })) };
      const r = await prog.sync(ns, t);
      modes.set(r.mode, (modes.get(r.mode) ?? 0) + 1);
      const snap = await readNftLb(ns);
      const sorted = (xs: string[]) => [...xs].sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3]));
      const expected = Object.entries(want)
        .sort(([a], [b]) => Number(a.split('.')[3]) - Number(b.split('.')[3]))
        .map(([vip, backends]) => ({ vip, backends: sorted(backends) }));
      if (i === 20 && r.mode === 'none') continue; // unchanged wish after a tamper: see fullResyncMs
      expect(snap?.table, `step ${i} (${r.mode})`).toEqual({ vips: expected });
      const live = [...new Set(expected.filter((v) => v.backends.length > 0).map((v) => `mod-${v.backends.length}`))];
      expect(snap?.chains).toEqual(['nat-output', 'refuse-output', ...live].sort());
    }
    expect(modes.get('partial')).toBeGreaterThan(20);
    await prog.remove(ns);
    expect(await readNftLb(ns)).toBeUndefined();
  }, 120_000);
});
