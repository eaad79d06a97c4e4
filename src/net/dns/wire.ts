/**
 * From bytes to a decision and back, without sockets: what the resolver does with one query
 * packet. Pure, so the whole protocol behaviour (FORMERR, NOTIMP, truncation, EDNS size) is
 * unit tested without a network.
 */
import dnsPacket from 'dns-packet';
import { answer, normalizeName, type DnsAnswer, type DnsQuestion, type DnsTable } from './dns-table.js';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;
const HEADER_BYTES = 12;
/** The classic UDP limit (RFC 1035) and the largest EDNS size we honour. */
export const UDP_CLASSIC_LIMIT = 512;
const UDP_MAX_LIMIT = 4096;
/** What we advertise in our own OPT record (the 2020 DNS flag day value). */
const OUR_EDNS_SIZE = 1232;

export interface Header {
  id: number;
  flags: number;
  qdcount: number;
}

/** The fixed header, or undefined when fewer than 12 bytes came: nothing to answer to. */
export function readHeader(buf: Buffer): Header | undefined {
  if (buf.length < HEADER_BYTES) return undefined;
  return { id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2), qdcount: buf.readUInt16BE(4) };
}

/** A bare response to `h` with an error rcode: same id and opcode, RD echoed, no sections. */
export function errorReply(h: Header, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt16BE(h.id, 0);
  out.writeUInt16BE(QR | (h.flags & 0x7800) | (h.flags & RD) | RA | (rcode & 0xf), 2);
  return out;
}

/** A response echoing the question, with an rcode (SERVFAIL after every upstream failed). */
export function rcodeReply(query: dnsPacket.DecodedPacket, rcode: number): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags: ((query.flags ?? 0) & RD) | RA | rcode,
    questions: query.questions ?? [],
  });
}

/** The UDP size the client can take: its EDNS payload size, clamped to 512..4096, else 512. */
export function udpLimit(query: dnsPacket.DecodedPacket): number {
  const opt = (query.additionals ?? []).find((a): a is dnsPacket.OptAnswer => a.type === 'OPT');
  if (!opt) return UDP_CLASSIC_LIMIT;
  return Math.min(UDP_MAX_LIMIT, Math.max(UDP_CLASSIC_LIMIT, opt.udpPayloadSize));
}

/**
 * A response that fits `limit` bytes: itself, or its header and question with TC set so the
 * client retries over TCP. A response we cannot even decode keeps only its header.
 */
export function fitUdp(response: Buffer, limit: number): Buffer {
  if (response.length <= limit) return response;
  try {
    const p = dnsPacket.decode(response);
    return dnsPacket.encode({ type: 'response', id: p.id ?? 0, flags: (p.flags ?? 0) | TC, questions: p.questions ?? [] });
  } catch {
    const out = Buffer.from(response.subarray(0, HEADER_BYTES));
    out.writeUInt16BE(out.readUInt16BE(2) | TC, 2);
    out.fill(0, 4, HEADER_BYTES);
    return out;
  }
}

function encodeAnswer(query: dnsPacket.DecodedPacket, a: DnsAnswer): Buffer {
  const hadOpt = (query.additionals ?? []).some((x) => x.type === 'OPT');
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    // Authoritative: these names come from the cluster store, not from a cache.
    flags: AA | ((query.flags ?? 0) & RD) | RA | RCODE[a.rcode],
    questions: query.questions ?? [],
    answers: a.answers.map((r) => ({ type: r.type, name: r.name, ttl: r.ttl, class: 'IN' as const, data: r.data })),
    additionals: hadOpt ? [{ type: 'OPT', name: '.', udpPayloadSize: OUR_EDNS_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  });
}

export type QueryOutcome = 'answered' | 'forwarded' | 'servfail' | 'formerr' | 'notimp' | 'dropped' | 'busy';

export type QueryDecision =
  /** Nothing to answer to: too short for a header, or a response packet (answering those invites loops). */
  | { kind: 'drop' }
  | { kind: 'reply'; packet: Buffer; outcome: 'answered' | 'formerr' | 'notimp' | 'servfail'; question?: DnsQuestion; query?: dnsPacket.DecodedPacket }
  | { kind: 'forward'; query: dnsPacket.DecodedPacket; question: DnsQuestion };

export interface DecideContext {
  table: DnsTable;
  clientIp: string;
  ttlSec: number;
  /**
   * The rotation for a normalized name; the resolver counts queries per name. Asked for A (and
   * ANY) questions only: getaddrinfo sends A and AAAA together, and counting both would hand a
   * two-task service the same first record every time.
   */
  rotation: (name: string) => number;
}

/** What to do with one query packet from `ctx.clientIp`. Never throws. */
export function decide(buf: Buffer, ctx: DecideContext): QueryDecision {
  const h = readHeader(buf);
  if (!h || h.flags & QR) return { kind: 'drop' };
  const opcode = (h.flags >> 11) & 0xf;
  if (opcode !== 0) return { kind: 'reply', packet: errorReply(h, RCODE.NOTIMP), outcome: 'notimp' };
  let query: dnsPacket.DecodedPacket;
  try {
    query = dnsPacket.decode(buf);
  } catch {
    return { kind: 'reply', packet: errorReply(h, RCODE.FORMERR), outcome: 'formerr' };
  }
  const q = query.questions?.[0];
  if (h.qdcount !== 1 || !q || typeof q.name !== 'string') return { kind: 'reply', packet: errorReply(h, RCODE.FORMERR), outcome: 'formerr' };
  const question: DnsQuestion = { name: q.name, type: String(q.type) };
  // Other classes (CHAOS version.bind and the like) are never ours.
  if (q.class !== undefined && q.class !== 'IN') return { kind: 'forward', query, question };
  let a: DnsAnswer | 'forward';
  try {
    a = answer(ctx.table, question, ctx.clientIp, { ttlSec: ctx.ttlSec, rotate: /^(A|ANY)$/i.test(question.type) ? ctx.rotation(normalizeName(question.name)) : 0 });
  } catch {
    // A bug in the table, not the client's fault: SERVFAIL, and the server keeps serving.
    return { kind: 'reply', packet: rcodeReply(query, RCODE.SERVFAIL), outcome: 'servfail', question };
  }
  if (a === 'forward') return { kind: 'forward', query, question };
  return { kind: 'reply', packet: encodeAnswer(query, a), outcome: 'answered', question, query };
}
