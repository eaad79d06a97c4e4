/**
 * The resolver on real loopback sockets: our answers over UDP and TCP, scoping by source address,
 * forwarding through fake upstreams (order, timeout, refusal, SERVFAIL, TCP over TCP), truncation,
 * malformed input, in-flight bounds, and listen() converging the set of bound addresses.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTable } from '../../../src/net/dns/dns-table.js';
import { DnsListenError } from '../../../src/net/dns/errors.js';
import { DnsResolver, type DnsQueryEvent, type DnsResolverOptions } from '../../../src/net/dns/resolver.js';
import { addrs, frame, queryPacket, rcode, tcpQuery, tcpRaw, udpQuery, udpRaw, type Target } from './dns-client.js';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';

// Client addresses: all of 127.0.0.0/8 is on lo, so a client picks its network by its source address.
const FRONT = '127.53.1.0/24';
const BACK = '127.53.2.0/24';
const ON_FRONT = '127.53.1.7';
const ON_BACK = '127.53.2.7';
const SERVER = '127.53.0.1';
const SERVER2 = '127.53.0.2';

const table = buildTable(
  [
    { id: 'front', subnet: FRONT },
    { id: 'back', subnet: BACK },
  ],
  [
    { name: 'web', networkId: 'front', addresses: ['10.77.1.10'], ptr: true },
    { name: 'db', networkId: 'back', addresses: ['10.77.2.10'] },
    { name: 'rr', networkId: 'front', addresses: ['10.77.1.21', '10.77.1.22', '10.77.1.23'] },
    { name: 'big', networkId: 'front', addresses: Array.from({ length: 60 }, (_, i) => `10.77.3.${i + 1}`) },
  ],
);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function upstream(o: Parameters<typeof startFakeUpstream>[0] = {}): Promise<FakeUpstream> {
  const u = await startFakeUpstream(o);
  cleanups.push(() => u.close());
  return u;
}

async function resolver(o: Partial<DnsResolverOptions> = {}, at: string[] = [SERVER]): Promise<{ r: DnsResolver; to: Target; events: DnsQueryEvent[]; logs: string[] }> {
  const events: DnsQueryEvent[] = [];
  const logs: string[] = [];
  const r = new DnsResolver({ upstreams: [], table, log: (m) => logs.push(m), onQuery: (e) => events.push(e), timeoutMs: 300, ...o });
  cleanups.push(() => r.close());
  await r.listen(at.map((address) => ({ address, port: 0 })));
  const b = r.bound().find((x) => x.address === at[0])!;
  return { r, to: { address: b.address, port: b.port }, events, logs };
}

/** A loopback port with nothing listening on UDP or TCP: an upstream that refuses at once. */
async function deadPort(address: string): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, address, () => res()));
  const p = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return p;
}

describe('dns resolver: our names', () => {
  it('answers over UDP and TCP with TTL 2, scoped by the source address', async () => {
    const { to, events } = await resolver();
    const u = await udpQuery(to, 'web', 'A', ON_FRONT);
    expect(rcode(u)).toBe('NOERROR');
    expect(u.flag_aa).toBe(true);
    expect(u.answers).toMatchObject([{ name: 'web', type: 'A', ttl: 2, data: '10.77.1.10' }]);
    const t = await tcpQuery(to, 'WEB.', 'A', ON_FRONT);
    expect(addrs(t)).toEqual(['10.77.1.10']);
    expect(events.map((e) => [e.client, e.transport, e.outcome])).toEqual([
      [ON_FRONT, 'udp', 'answered'],
      [ON_FRONT, 'tcp', 'answered'],
    ]);
    expect(addrs(await udpQuery(to, 'db', 'A', ON_BACK))).toEqual(['10.77.2.10']);
    expect(rcode(await udpQuery(to, 'web', 'AAAA', ON_FRONT))).toBe('NOERROR');
    expect(addrs(await udpQuery(to, '10.1.77.10.in-addr.arpa', 'PTR', ON_FRONT))).toEqual(['web']);
  });

  it('rotates A records per query, and setTable replaces the names', async () => {
    const { r, to } = await resolver();
    const firsts: string[] = [];
    for (let i = 0; i < 4; i++) {
      await udpQuery(to, 'rr', 'AAAA', ON_FRONT); // does not move the rotation
      firsts.push(addrs(await udpQuery(to, 'rr', 'A', ON_FRONT))[0]!);
    }
    expect(firsts).toEqual(['10.77.1.21', '10.77.1.22', '10.77.1.23', '10.77.1.21']);
    r.setTable(buildTable([{ id: 'front', subnet: FRONT }], [{ name: 'web', networkId: 'front', addresses: ['10.77.9.9'] }]));
    expect(addrs(await udpQuery(to, 'web', 'A', ON_FRONT))).toEqual(['10.77.9.9']);
  });

  it('sets TC over UDP when the answer exceeds 512 bytes and gives it whole over TCP', async () => {
    const { to } = await resolver();
    const u = await udpQuery(to, 'big', 'A', ON_FRONT);
    expect(u.flag_tc).toBe(true);
    expect(u.answers).toEqual([]);
    expect(addrs(await tcpQuery(to, 'big', 'A', ON_FRONT))).toHaveLength(60);
  });
});

describe('dns resolver: forwarding', () => {
  it('forwards names not ours for this client, with the client id, UDP over UDP and TCP over TCP', async () => {
    const up = await upstream();
    const { to, events } = await resolver({ upstreams: [up.spec] });
    const p = await udpQuery(to, 'db', 'A', ON_FRONT); // db lives only on back
    expect(addrs(p)).toEqual(['198.51.100.7']);
    expect(addrs(await tcpQuery(to, 'example.org', 'A', ON_FRONT))).toEqual(['198.51.100.7']);
    expect(addrs(await udpQuery(to, 'nodots', 'A', ON_FRONT))).toEqual(['198.51.100.7']);
    expect(up.seen.map((s) => [s.name, s.transport])).toEqual([
      ['db', 'udp'],
      ['example.org', 'tcp'],
      ['nodots', 'udp'],
    ]);
    expect(events.filter((e) => e.outcome === 'forwarded')).toHaveLength(3);
  });

  it('passes over a refusing and a silent upstream to the next, then SERVFAIL when all fail', async () => {
    const silent = await upstream({ address: '127.53.9.1', silent: true });
    const good = await upstream({ address: '127.53.9.2', answer: '198.51.100.8' });
    const refused = `127.53.9.3:${await deadPort('127.53.9.3')}`;
    const { to } = await resolver({ upstreams: [refused, silent.spec, good.spec], timeoutMs: 200 });
    const t0 = Date.now();
    expect(addrs(await udpQuery(to, 'example.org', 'A', ON_FRONT))).toEqual(['198.51.100.8']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190); // waited out the silent one
    expect(addrs(await tcpQuery(to, 'example.org', 'A', ON_FRONT))).toEqual(['198.51.100.8']);

    const { to: to2, logs } = await resolver({ upstreams: [refused, silent.spec], timeoutMs: 200 }, [SERVER2]);
    const f = await udpQuery(to2, 'example.org', 'A', ON_FRONT);
    expect(rcode(f)).toBe('SERVFAIL');
    expect(f.questions).toMatchObject([{ name: 'example.org', type: 'A' }]);
    expect(rcode(await tcpQuery(to2, 'example.org', 'A', ON_FRONT))).toBe('SERVFAIL');
    // One line for both failures (rate-limited), naming each upstream and why.
    expect(logs.filter((l) => l.includes('every upstream failed'))).toHaveLength(1);
    expect(logs.join('\n')).toMatch(/ECONNREFUSED.*no answer in 200 ms/);
  });

  it('answers SERVFAIL at once beyond the in-flight bound, and without upstreams', async () => {
    const silent = await upstream({ silent: true });
    const { to, events } = await resolver({ upstreams: [silent.spec], maxInFlight: 1, timeoutMs: 500 });
    const slow = udpQuery(to, 'one.example', 'A', ON_FRONT);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    expect(rcode(await udpQuery(to, 'two.example', 'A', ON_FRONT))).toBe('SERVFAIL');
    expect(Date.now() - t0).toBeLessThan(300);
    expect(rcode(await slow)).toBe('SERVFAIL');
    expect(events.map((e) => e.outcome).sort()).toEqual(['busy', 'servfail']);

    const { to: to2, logs } = await resolver({ upstreams: [] }, [SERVER2]);
    expect(rcode(await udpQuery(to2, 'example.org', 'A', ON_FRONT))).toBe('SERVFAIL');
    expect(logs[0]).toMatch(/no upstream resolvers/);
  });
});

describe('dns resolver: malformed input', () => {
  it('never crashes: drops what has no header, FORMERR for the rest, and keeps answering', async () => {
    const { to, logs } = await resolver();
    expect(await udpRaw(to, Buffer.from([1, 2, 3, 4, 5]), { from: ON_FRONT, ms: 200 })).toBeUndefined();
    const cut = queryPacket('web', 'A', 999).subarray(0, 14);
    const f = await udpRaw(to, cut, { from: ON_FRONT });
    expect(f!.readUInt16BE(0)).toBe(999);
    expect(f!.readUInt16BE(2) & 0xf).toBe(1);
    // Seeded garbage: every packet either dropped or answered, never a crash.
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 50; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + (rnd() % 80) }, rnd));
      junk[2] = junk[2]! & 0x7f; // a query, so that header-readable ones get FORMERR rather than a drop
      await udpRaw(to, junk, { from: ON_FRONT, ms: 30 });
    }
    // Garbage over TCP: a frame of junk gets FORMERR, then a real query on the same connection is answered.
    const replies = await tcpRaw(to, [frame(Buffer.alloc(20, 0x41)), frame(queryPacket('web', 'A', 77))], { from: ON_FRONT, count: 2 });
    const ids = replies.map((b) => b.readUInt16BE(0)).sort();
    expect(ids).toEqual([77, 0x4141].sort());
    expect(addrs(await udpQuery(to, 'web', 'A', ON_FRONT))).toEqual(['10.77.1.10']);
    expect(logs.filter((l) => l.includes('internal error'))).toEqual([]);
  });
});

describe('dns resolver: listen() converges the bound addresses', () => {
  it('binds added addresses and closes removed ones', async () => {
    const r = new DnsResolver({ upstreams: [], table, log: () => undefined });
    cleanups.push(() => r.close());
    await r.listen([
      { address: SERVER, port: 0 },
      { address: SERVER2, port: 0 },
    ]);
    const [a, b] = [r.bound().find((x) => x.address === SERVER)!, r.bound().find((x) => x.address === SERVER2)!];
    expect(addrs(await udpQuery(a, 'web', 'A', ON_FRONT))).toEqual(['10.77.1.10']);
    expect(addrs(await tcpQuery(b, 'web', 'A', ON_FRONT))).toEqual(['10.77.1.10']);
    await r.listen([{ address: SERVER2, port: 0 }]);
    expect(r.bound()).toEqual([b]); // the kept one is the same socket, same port
    await expect(udpRaw(a, queryPacket('web'), { from: ON_FRONT, ms: 300 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(tcpRaw(a, [frame(queryPacket('web'))], { from: ON_FRONT })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await r.listen([]);
    expect(r.bound()).toEqual([]);
  });

  it('says which address is not on this host, serves the others, and retries on the next call', async () => {
    const r = new DnsResolver({ upstreams: [], table, log: () => undefined });
    cleanups.push(() => r.close());
    const err = await r.listen([{ address: '203.0.113.77', port: 5353 }, { address: SERVER, port: 0 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsListenError);
    expect((err as DnsListenError).message).toBe('address 203.0.113.77 is not on this host yet (EADDRNOTAVAIL)');
    expect((err as DnsListenError).code).toBe('unavailable');
    expect(r.bound().map((x) => x.address)).toEqual([SERVER]);

    // A port held by someone else: a conflict now, served once it is released.
    const holder = net.createServer();
    await new Promise<void>((res) => holder.listen(0, SERVER2, () => res()));
    const port = (holder.address() as net.AddressInfo).port;
    const wanted = [{ address: SERVER, port: 0 }, { address: SERVER2, port }];
    const e2 = (await r.listen(wanted).catch((e: unknown) => e)) as DnsListenError;
    expect(e2.failures).toMatchObject([{ address: SERVER2, port, errno: 'EADDRINUSE' }]);
    expect(e2.code).toBe('conflict');
    await new Promise<void>((res) => holder.close(() => res()));
    await r.listen(wanted);
    expect(addrs(await udpQuery({ address: SERVER2, port }, 'web', 'A', ON_FRONT))).toEqual(['10.77.1.10']);
  });

  it('refuses a listen address that is not an IP before touching anything', async () => {
    const r = new DnsResolver({ upstreams: [], table, log: () => undefined });
    cleanups.push(() => r.close());
    await expect(r.listen([{ address: 'gateway' }])).rejects.toThrow(/not an IP address/);
    expect(r.bound()).toEqual([]);
  });
});
