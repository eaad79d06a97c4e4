/**
 * The per-host resolver behind Docker's embedded DNS, on the real engine: a user-defined bridge
 * network whose gateway address (the bridge's IP on this host) serves our resolver on port 53,
 * containers started with `--dns <gateway>`. Cluster names come from us, container names from
 * Docker, everything else is forwarded to a fake upstream on the host's loopback.
 *
 * It also records what Docker 20.10's embedded resolver does with our answers (source address,
 * TTL, flags), by querying 127.0.0.11 from inside a container's netns with the host's node.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTable, DnsResolver, type DnsQueryEvent } from '../../src/net/dns/index.js';
import { startFakeUpstream, type FakeUpstream } from '../unit/net/fake-upstream.js';
import { REPO, TEST_IMAGE } from './compose-helpers.js';

const run = promisify(execFile);
const docker = async (...args: string[]): Promise<string> => (await run('docker', args, { timeout: 60_000 })).stdout.trim();

const TAG = randomBytes(3).toString('hex');
const NET = `tsdns-${TAG}`;
const BRIDGE = `tsdns${TAG}`; // <= 15 characters, a Linux interface name
const PEER = `tsdns-peer-${TAG}`;
let prefix = ''; // the network's first three octets
let gateway = '';
let upstream: FakeUpstream | undefined;
let resolver: DnsResolver | undefined;
const events: DnsQueryEvent[] = [];
const logs: string[] = [];
let created = false;

/** A /24 in 172.29.0.0/16 that no other network uses: Docker refuses overlapping pools, so try a few. */
async function createNetwork(): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 8; i++) {
    const third = 1 + ((parseInt(TAG, 16) + i * 37) % 250);
    const p = `172.29.${third}`;
    try {
      await docker('network', 'create', '--driver', 'bridge', '--subnet', `${p}.0/24`, '--gateway', `${p}.1`, '-o', `com.docker.network.bridge.name=${BRIDGE}`, NET);
      prefix = p;
      gateway = `${p}.1`;
      created = true;
      return;
    } catch (e) {
      last = e;
      if (!/overlap/i.test(String((e as { stderr?: string }).stderr ?? e))) throw e;
    }
  }
  throw last;
}

/** busybox nslookup from a throwaway container on the network, with a fixed address. */
async function nslookup(name: string, ip: string): Promise<string> {
  const r = await run('docker', ['run', '--rm', '--network', NET, '--ip', ip, '--dns', gateway, TEST_IMAGE, 'nslookup', name], { timeout: 60_000 }).catch(
    (e: { stdout?: string; stderr?: string }) => ({ stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
  return r.stdout;
}

interface Embedded {
  rcode: string;
  aa: boolean;
  tc: boolean;
  answers: Array<{ type: string; ttl: number; data: string }>;
}

/**
 * Asks Docker's embedded resolver (127.0.0.11 inside the peer's netns) with the host's node and
 * dns-packet, so that TTLs and flags are visible (busybox nslookup prints neither).
 */
async function askEmbedded(name: string, type: string, transport: 'udp' | 'tcp' = 'udp'): Promise<Embedded> {
  const pid = await docker('inspect', '-f', '{{.State.Pid}}', PEER);
  const script = `
    const dp = require('dns-packet');
    const q = dp.encode({ type: 'query', id: 4321, flags: dp.RECURSION_DESIRED, questions: [{ type: ${JSON.stringify(type)}, name: ${JSON.stringify(name)} }] });
    const t = setTimeout(() => { console.log(JSON.stringify({ rcode: 'TIMEOUT', answers: [] })); process.exit(0); }, 5000);
    const out = (m) => { const p = dp.decode(m); clearTimeout(t);
      console.log(JSON.stringify({ rcode: p.rcode, aa: p.flag_aa, tc: p.flag_tc, answers: (p.answers || []).map((a) => ({ type: a.type, ttl: a.ttl, data: String(a.data) })) }));
      process.exit(0); };
    if (${JSON.stringify(transport)} === 'udp') {
      const s = require('node:dgram').createSocket('udp4'); s.on('message', out); s.send(q, 53, '127.0.0.11');
    } else {
      const c = require('node:net').connect(53, '127.0.0.11'); let b = Buffer.alloc(0);
      c.on('data', (d) => { b = Buffer.concat([b, d]); if (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) out(b.subarray(2, 2 + b.readUInt16BE(0))); });
      const l = Buffer.alloc(2); l.writeUInt16BE(q.length); c.write(Buffer.concat([l, q]));
    }`;
  const { stdout } = await run('nsenter', [`--net=/proc/${pid}/ns/net`, 'node', '-e', script], { cwd: REPO, timeout: 20_000 });
  return JSON.parse(stdout) as Embedded;
}

beforeAll(async () => {
  await createNetwork();
  upstream = await startFakeUpstream({ address: '127.0.0.1', answer: '198.51.100.9', ttl: 123 });
  const table = buildTable(
    [{ id: 'n1', subnet: `${prefix}.0/24` }],
    [
      { name: 'websvc', networkId: 'n1', addresses: [`${prefix}.200`], ptr: true },
      { name: 'tasks.websvc', networkId: 'n1', addresses: [`${prefix}.201`, `${prefix}.202`] },
      { name: 'bigsvc', networkId: 'n1', addresses: Array.from({ length: 60 }, (_, i) => `${prefix}.${i + 100}`) },
    ],
  );
  resolver = new DnsResolver({ upstreams: [upstream.spec], table, log: (m) => logs.push(m), onQuery: (e) => events.push(e) });
  // Port 53 on the bridge address: fails clearly (EADDRINUSE) if a local DNS server holds 0.0.0.0:53.
  await resolver.listen([{ address: gateway, port: 53 }]);
  await docker('run', '-d', '--name', PEER, '--network', NET, '--ip', `${prefix}.10`, '--dns', gateway, TEST_IMAGE, 'sh', '-c', "trap 'exit 0' TERM; sleep 600 & wait");
}, 120_000);

afterAll(async () => {
  await docker('rm', '-f', PEER).catch(() => undefined); // absent when beforeAll failed early
  await resolver?.close();
  await upstream?.close();
  if (created) await docker('network', 'rm', NET);
}, 60_000);

describe('per-host resolver behind Docker embedded DNS', () => {
  it('answers a cluster name, seeing the container address as the source', async () => {
    const out = await nslookup('websvc', `${prefix}.50`);
    expect(out).toContain(`${prefix}.200`);
    const ours = events.filter((e) => e.name?.toLowerCase() === 'websvc');
    expect(ours.length).toBeGreaterThan(0);
    // What the scoping relies on: Docker forwards from inside the container's netns.
    expect(new Set(ours.map((e) => e.client))).toEqual(new Set([`${prefix}.50`]));
    expect(ours.every((e) => e.transport === 'udp' && e.outcome === 'answered')).toBe(true);
    console.log('[observed] queries Docker forwarded to us for websvc:', JSON.stringify(ours));
  });

  it('leaves container names on the network to Docker', async () => {
    const before = events.length;
    const out = await nslookup(PEER, `${prefix}.51`);
    expect(out).toContain(`${prefix}.10`);
    expect(events.slice(before).filter((e) => e.name?.toLowerCase() === PEER)).toEqual([]);
  });

  it('forwards names unknown to us to the upstream, from the host netns', async () => {
    const out = await nslookup('outside.example', `${prefix}.52`);
    expect(out).toContain('198.51.100.9');
    expect(upstream!.seen.filter((s) => s.name === 'outside.example' && s.type === 'A')).toMatchObject([{ from: '127.0.0.1', transport: 'udp' }]);
    expect(events.find((e) => e.name === 'outside.example' && e.type === 'A')).toMatchObject({ client: `${prefix}.52`, outcome: 'forwarded' });
  });

  it('records how the embedded resolver relays TTLs and flags', async () => {
    const ours = await askEmbedded('websvc', 'A');
    const aaaa = await askEmbedded('websvc', 'AAAA');
    const rr = await askEmbedded('tasks.websvc', 'A');
    const theirs = await askEmbedded(PEER, 'A');
    const fwd = await askEmbedded('outside.example', 'A');
    const ptr = await askEmbedded(`200.${prefix.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR');
    const single = await askEmbedded('nodotname', 'A');
    console.log('[observed] embedded DNS:', JSON.stringify({ ours, aaaa, rr, theirs, fwd, ptr, single }, null, 1));
    expect(ours.answers).toEqual([{ type: 'A', ttl: 2, data: `${prefix}.200` }]); // our TTL passes through
    expect(ours.aa).toBe(true);
    expect(aaaa.rcode).toBe('NOERROR');
    expect(aaaa.answers).toEqual([]);
    expect(fwd.answers).toEqual([{ type: 'A', ttl: 123, data: '198.51.100.9' }]);
    expect(theirs.answers).toMatchObject([{ type: 'A', data: `${prefix}.10` }]);
    expect(rr.answers.map((a) => a.data).sort()).toEqual([`${prefix}.201`, `${prefix}.202`]);
  });

  it('truncates over UDP and forwards TCP retries to us over TCP', async () => {
    const before = events.length;
    const udp = await askEmbedded('bigsvc', 'A', 'udp');
    const tcp = await askEmbedded('bigsvc', 'A', 'tcp');
    const seen = events.slice(before).filter((e) => e.name === 'bigsvc');
    console.log('[observed] 60-record answer:', JSON.stringify({ udp: { tc: udp.tc, n: udp.answers.length }, tcp: { tc: tcp.tc, n: tcp.answers.length }, seen }));
    expect(udp.tc).toBe(true);
    expect(tcp.answers).toHaveLength(60);
    expect(seen.map((e) => e.transport)).toContain('tcp');
  });
});
