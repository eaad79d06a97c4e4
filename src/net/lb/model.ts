/**
 * The wanted load-balancer state of one client network namespace, and its canonical form.
 *
 * The agent hands us a {@link VipTable} per local client container: every service VIP that
 * container can reach, with the task IPs behind it. Everything the renderers and programmers do
 * works on the {@link NormalVipTable} made here, so a table that differs only in order or in
 * duplicates renders the same text and diffs to nothing.
 */
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
  const out = new Map<string, { n: number; backends: readonly string[] }>();
  table.vips.forEach((entry, i) => {
    const [vip, vn] = parseIpv4(entry.vip, `vips[${i}].vip`);
    if (out.has(vip)) throw new LbInputError(`vips[${i}].vip: ${vip} is listed twice`, 'merge the two entries into one');
    const backends = new Map<string, number>();
    entry.backends.forEach((b, j) => {
      const [ip, n] = parseIpv4(b, `vips[${i}].backends[${j}]`);
      backends.set(ip, n);
    });
    if (backends.has(vip)) throw new LbInputError(`vips[${i}].backends: ${vip} is the VIP itself`, 'a VIP cannot be its own backend');
    out.set(vip, { n: vn, backends: [...backends].sort((a, b) => a[1] - b[1]).map(([ip]) => ip) });
  });
  return new Map([...out].sort(([, a], [, b]) => a.n - b.n).map(([vip, { backends }]) => [vip, backends]));
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

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/**
 * Strict dotted quad (no leading zeros, no other notations) -> [text, number]. Hand-written
 * rather than ipaddr.js because it runs for every address of every sync: 11,000 addresses took
 * 30 ms through ipaddr.js, more than the nft transaction of a partial sync.
 */
function parseIpv4(s: string, where: string): [string, number] {
  const m = typeof s === 'string' ? IPV4.exec(s) : null;
  if (!m) throw new LbInputError(`${where}: ${JSON.stringify(s)} is not an IPv4 address`, 'write it as four decimal parts, e.g. 10.0.1.250');
  const a = Number(m[1]);
  const n = a * 0x1000000 + Number(m[2]) * 0x10000 + Number(m[3]) * 0x100 + Number(m[4]);
  const kind = n === 0 ? 'unspecified' : n === 0xffffffff ? 'broadcast' : a >= 224 && a <= 239 ? 'multicast' : undefined;
  if (kind !== undefined) throw new LbInputError(`${where}: ${s} is a ${kind} address`, 'use a unicast address');
  return [s, n];
}
