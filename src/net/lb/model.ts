/**
 * The wanted load-balancer state of one client network namespace, and its canonical form.
 *
 * The agent hands us a {@link VipTable} per local client container: every service VIP that
 * container can reach, with the task IPs behind it. Everything the renderers and programmers do
 * works on the {@link NormalVipTable} made here, so a table that differs only in order or in
 * duplicates renders the same text and diffs to nothing.
 */
import ipaddr from 'ipaddr.js';
import { LbInputError } from './errors.js';

/**
 * One client's wanted VIPs. A VIP forwards every TCP and UDP port (and any other IP protocol) to
 * the same port on one backend, picked at random per new connection; a VIP with an empty
 * `backends` list refuses connections at once (TCP RST, ICMP port unreachable for the rest).
 * Addresses are IPv4 dotted quads; IPv6 is not supported yet.
 */
export interface VipTable {
  vips: ReadonlyArray<{ vip: string; backends: readonly string[] }>;
}

/** Canonical table: VIP -> backends, both in numeric address order, no duplicates. */
export type NormalVipTable = ReadonlyMap<string, readonly string[]>;

export const EMPTY_TABLE: NormalVipTable = new Map();

/**
 * Validates and sorts `table`. Strict dotted-quad parsing matters beyond tidiness: VIPs become
 * chain names and every address is pasted into nft and ipvsadm text, so nothing else may pass.
 */
export function normalizeVipTable(table: VipTable): NormalVipTable {
  const out = new Map<string, readonly string[]>();
  table.vips.forEach((entry, i) => {
    const vip = parseIpv4(entry.vip, `vips[${i}].vip`);
    if (out.has(vip)) throw new LbInputError(`vips[${i}].vip: ${vip} is listed twice`, 'merge the two entries into one');
    const backends = new Set<string>();
    entry.backends.forEach((b, j) => backends.add(parseIpv4(b, `vips[${i}].backends[${j}]`)));
    if (backends.has(vip)) throw new LbInputError(`vips[${i}].backends: ${vip} is the VIP itself`, 'a VIP cannot be its own backend');
    out.set(vip, [...backends].sort(compareIpv4));
  });
  return new Map([...out].sort(([a], [b]) => compareIpv4(a, b)));
}

/** Back to the wire shape (for tests, logs and the inspector). */
export function toVipTable(table: NormalVipTable): VipTable {
  return { vips: [...table].map(([vip, backends]) => ({ vip, backends: [...backends] })) };
}

export function sameBackends(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The address as an unsigned 32-bit number (IPVS firewall marks are derived from it). */
export function ipv4ToUint32(ip: string): number {
  const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

export function compareIpv4(a: string, b: string): number {
  return ipv4ToUint32(a) - ipv4ToUint32(b);
}

function parseIpv4(s: string, where: string): string {
  if (typeof s !== 'string' || !ipaddr.IPv4.isValidFourPartDecimal(s)) {
    throw new LbInputError(`${where}: ${JSON.stringify(s)} is not an IPv4 address`, 'write it as four decimal parts, e.g. 10.0.1.250');
  }
  const ip = ipaddr.IPv4.parse(s);
  if (ip.range() === 'unspecified' || ip.range() === 'broadcast' || ip.range() === 'multicast') {
    throw new LbInputError(`${where}: ${s} is a ${ip.range()} address`, 'use a unicast address');
  }
  return ip.toString();
}
