/** One query packet to a decision: FORMERR, NOTIMP, drops, our answers, truncation, EDNS sizes. */
import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { buildTable } from '../../../src/net/dns/dns-table.js';
import { decide, fitUdp, udpLimit, type DecideContext } from '../../../src/net/dns/wire.js';

const many = Array.from({ length: 60 }, (_, i) => `10.1.0.${i + 10}`);
const table = buildTable([{ id: 'n', subnet: '10.1.0.0/24' }], [
  { name: 'web', networkId: 'n', addresses: ['10.1.0.2'] },
  { name: 'big', networkId: 'n', addresses: many },
]);
const ctx: DecideContext = { table, clientIp: '10.1.0.9', ttlSec: 2, rotation: () => 0 };
const q = (name: string, type: dnsPacket.RecordType = 'A', extra: Partial<dnsPacket.Packet> = {}) =>
  dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }], ...extra });

describe('decide', () => {
  it('answers our names authoritatively with the client id, RD echoed and RA set', () => {
    const d = decide(q('web'), ctx);
    expect(d.kind).toBe('reply');
    const r = dnsPacket.decode((d as { packet: Buffer }).packet);
    expect(r.id).toBe(4242);
    expect(r.flag_qr && r.flag_aa && r.flag_rd && r.flag_ra).toBe(true);
    expect(r.answers).toMatchObject([{ name: 'web', type: 'A', ttl: 2, data: '10.1.0.2' }]);
  });
  it('forwards what is not ours, and other classes', () => {
    expect(decide(q('example.org'), ctx).kind).toBe('forward');
    const chaos = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'web', type: 'TXT', class: 'CH' }] });
    expect(decide(chaos, ctx).kind).toBe('forward');
  });
  it('drops packets without a header and responses', () => {
    expect(decide(Buffer.from([1, 2, 3]), ctx)).toEqual({ kind: 'drop' });
    const resp = dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'web', type: 'A' }] });
    expect(decide(resp, ctx)).toEqual({ kind: 'drop' });
  });
  it('answers FORMERR with the id when the header reads but the rest does not', () => {
    const truncated = q('web').subarray(0, 15);
    const d = decide(truncated, ctx) as { kind: string; packet: Buffer; outcome: string };
    expect(d.outcome).toBe('formerr');
    const r = dnsPacket.decode(d.packet);
    expect(r.id).toBe(4242);
    expect((r as unknown as { rcode: string }).rcode).toBe('FORMERR');
    const none = dnsPacket.encode({ type: 'query', id: 7, questions: [] });
    expect((decide(none, ctx) as { outcome: string }).outcome).toBe('formerr');
  });
  it('answers NOTIMP to other opcodes', () => {
    const upd = q('web');
    upd.writeUInt16BE(upd.readUInt16BE(2) | (5 << 11), 2); // UPDATE
    const d = decide(upd, ctx) as { outcome: string; packet: Buffer };
    expect(d.outcome).toBe('notimp');
    expect((dnsPacket.decode(d.packet) as unknown as { rcode: string }).rcode).toBe('NOTIMP');
  });
  it('counts rotations for A queries only', () => {
    const asked: string[] = [];
    const c = { ...ctx, rotation: (n: string) => (asked.push(n), 0) };
    decide(q('WEB.', 'A'), c);
    decide(q('web', 'AAAA'), c);
    expect(asked).toEqual(['web']);
  });
});

describe('UDP size', () => {
  it('is 512 without EDNS and the client size (clamped) with it', () => {
    const plain = dnsPacket.decode(q('big'));
    expect(udpLimit(plain)).toBe(512);
    const opt = (size: number) => dnsPacket.decode(q('big', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: size, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] }));
    expect(udpLimit(opt(1232))).toBe(1232);
    expect(udpLimit(opt(100))).toBe(512);
    expect(udpLimit(opt(65000))).toBe(4096);
  });
  it('truncates a big answer to its question with TC set', () => {
    const d = decide(q('big'), ctx) as { packet: Buffer };
    expect(d.packet.length).toBeGreaterThan(512);
    const cut = dnsPacket.decode(fitUdp(d.packet, 512));
    expect(cut.flag_tc).toBe(true);
    expect(cut.id).toBe(4242);
    expect(cut.questions).toMatchObject([{ name: 'big', type: 'A' }]);
    expect(cut.answers).toEqual([]);
    expect(fitUdp(d.packet, 4096)).toBe(d.packet);
  });
  it('keeps only the header of an oversized response it cannot decode', () => {
    const junk = Buffer.alloc(600, 0xff);
    const cut = fitUdp(junk, 512);
    expect(cut.length).toBe(12);
    expect(cut.readUInt16BE(2) & 0x0200).toBe(0x0200);
  });
});
