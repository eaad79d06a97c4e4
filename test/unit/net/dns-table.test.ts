/** The resolver's pure lookup: scoping by the asker's networks, name forms, record types, TTL, rotation. */
import { describe, expect, it } from 'vitest';
import { answer, buildTable, reverseAddress, type DnsAnswer } from '../../../src/net/dns/dns-table.js';
import { DnsConfigError } from '../../../src/net/dns/errors.js';

const networks = [
  { id: 'front', subnet: '10.10.1.0/24' },
  { id: 'back', subnet: '10.10.2.0/24' },
];
const records = [
  { name: 'web', networkId: 'front', addresses: ['10.10.1.100'], ptr: true },
  { name: 'db', networkId: 'back', addresses: ['10.10.2.50'] },
  { name: 'api', networkId: 'front', addresses: ['10.10.1.20'] },
  { name: 'api', networkId: 'back', addresses: ['10.10.2.20'] },
  { name: 'rr', networkId: 'front', addresses: ['10.10.1.31', '10.10.1.32', '10.10.1.33'] },
  { name: 'web.1.abc', networkId: 'front', addresses: ['10.10.1.5'], ptr: true },
  { name: 'idle', networkId: 'front', addresses: [] },
];
const table = buildTable(networks, records, [{ address: '10.10.1.9', networkIds: ['back'] }]);
const ON_FRONT = '10.10.1.7';
const ON_BACK = '10.10.2.7';
const ON_BOTH = '10.10.1.9';
const ON_NONE = '172.31.0.7';

function a(name: string, client: string, type = 'A'): string[] | 'forward' {
  const r = answer(table, { name, type }, client);
  return r === 'forward' ? r : r.answers.map((x) => x.data);
}

describe('dns table: scoping by the asker', () => {
  it('answers a name on the client network and forwards one that lives only on another', () => {
    expect(a('web', ON_FRONT)).toEqual(['10.10.1.100']);
    expect(a('db', ON_FRONT)).toBe('forward');
    expect(a('db', ON_BACK)).toEqual(['10.10.2.50']);
    expect(a('web', ON_BACK)).toBe('forward');
  });
  it('gives a name on two networks only the address on the network the client shares', () => {
    expect(a('api', ON_FRONT)).toEqual(['10.10.1.20']);
    expect(a('api', ON_BACK)).toEqual(['10.10.2.20']);
  });
  it('lets a client listed on both networks see both', () => {
    expect(a('api', ON_BOTH)).toEqual(['10.10.1.20', '10.10.2.20']);
    expect(a('db', ON_BOTH)).toEqual(['10.10.2.50']);
  });
  it('forwards everything for a client on none of our networks', () => {
    expect(a('web', ON_NONE)).toBe('forward');
    expect(a('not-an-ip', 'garbage')).toBe('forward');
  });
  it('reads an IPv4-mapped IPv6 source as the IPv4 address', () => {
    expect(a('web', `::ffff:${ON_FRONT}`)).toEqual(['10.10.1.100']);
  });
});

describe('dns table: names and types', () => {
  it('matches names case-insensitively and tolerates a trailing dot, echoing the asked form', () => {
    expect(a('WEB', ON_FRONT)).toEqual(['10.10.1.100']);
    expect(a('Web.', ON_FRONT)).toEqual(['10.10.1.100']);
    const r = answer(table, { name: 'WeB.', type: 'A' }, ON_FRONT) as DnsAnswer;
    expect(r.answers[0]!.name).toBe('WeB.');
  });
  it('forwards unknown names, dotted or not (Docker semantics)', () => {
    expect(a('nothere', ON_FRONT)).toBe('forward');
    expect(a('example.org', ON_FRONT)).toBe('forward');
  });
  it('answers AAAA and other types for a known name with NOERROR and no records', () => {
    expect(answer(table, { name: 'web', type: 'AAAA' }, ON_FRONT)).toEqual({ rcode: 'NOERROR', answers: [] });
    expect(answer(table, { name: 'web', type: 'MX' }, ON_FRONT)).toEqual({ rcode: 'NOERROR', answers: [] });
    expect(a('db', ON_FRONT, 'AAAA')).toBe('forward');
  });
  it('answers a known name with no addresses now with NOERROR and no records', () => {
    expect(answer(table, { name: 'idle', type: 'A' }, ON_FRONT)).toEqual({ rcode: 'NOERROR', answers: [] });
  });
});

describe('dns table: PTR', () => {
  it('parses in-addr.arpa names', () => {
    expect(reverseAddress('100.1.10.10.in-addr.arpa')).toBe('10.10.1.100');
    expect(reverseAddress('100.1.10.10.IN-ADDR.ARPA.')).toBe('10.10.1.100');
    expect(reverseAddress('1.10.10.in-addr.arpa')).toBeUndefined();
    expect(reverseAddress('300.1.10.10.in-addr.arpa')).toBeUndefined();
  });
  it('answers ptr records on the client networks and forwards the rest', () => {
    expect(a('100.1.10.10.in-addr.arpa', ON_FRONT, 'PTR')).toEqual(['web']);
    expect(a('5.1.10.10.in-addr.arpa', ON_FRONT, 'PTR')).toEqual(['web.1.abc']);
    expect(a('100.1.10.10.in-addr.arpa', ON_BACK, 'PTR')).toBe('forward');
    expect(a('50.2.10.10.in-addr.arpa', ON_BACK, 'PTR')).toBe('forward'); // db has no ptr
    expect(a('8.8.8.8.in-addr.arpa', ON_FRONT, 'PTR')).toBe('forward');
  });
});

describe('dns table: TTL and rotation', () => {
  it('uses 2 s by default and the configured TTL otherwise', () => {
    expect((answer(table, { name: 'web', type: 'A' }, ON_FRONT) as DnsAnswer).answers[0]!.ttl).toBe(2);
    expect((answer(table, { name: 'web', type: 'A' }, ON_FRONT, { ttlSec: 7 }) as DnsAnswer).answers[0]!.ttl).toBe(7);
    expect((answer(table, { name: '100.1.10.10.in-addr.arpa', type: 'PTR' }, ON_FRONT, { ttlSec: 0 }) as DnsAnswer).answers[0]!.ttl).toBe(0);
  });
  it('rotates the A records by the given count, keeping their cyclic order', () => {
    const first = (n: number) => (answer(table, { name: 'rr', type: 'A' }, ON_FRONT, { rotate: n }) as DnsAnswer).answers.map((x) => x.data);
    expect(first(0)).toEqual(['10.10.1.31', '10.10.1.32', '10.10.1.33']);
    expect(first(1)).toEqual(['10.10.1.32', '10.10.1.33', '10.10.1.31']);
    expect(first(5)).toEqual(['10.10.1.33', '10.10.1.31', '10.10.1.32']);
  });
});

describe('dns table: building', () => {
  it('merges repeated records and drops duplicate addresses', () => {
    const t = buildTable(networks, [
      { name: 'x', networkId: 'front', addresses: ['10.10.1.1'] },
      { name: 'X.', networkId: 'front', addresses: ['10.10.1.1', '10.10.1.2'] },
    ]);
    expect((answer(t, { name: 'x', type: 'A' }, ON_FRONT) as DnsAnswer).answers.map((r) => r.data)).toEqual(['10.10.1.1', '10.10.1.2']);
  });
  it('refuses bad subnets, bad addresses and records on unlisted networks', () => {
    expect(() => buildTable([{ id: 'n', subnet: '10.0.0.0' }], [])).toThrow(DnsConfigError);
    expect(() => buildTable(networks, [{ name: 'x', networkId: 'front', addresses: ['10.0.0.300'] }])).toThrow(/not an IPv4 address/);
    expect(() => buildTable(networks, [{ name: 'x', networkId: 'nope', addresses: [] }])).toThrow(/network nope is not in the table/);
  });
});
