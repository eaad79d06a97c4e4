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
  const out: Array<{ vip: string; n: number; backends: readonly string[] }> = [];
  const seen = new Set<string>();
  let ordered = true;
  table.vips.forEach((entry, i) => {
    const vn = parseIpv4(entry.vip, i);
    if (seen.has(entry.vip)) throw new LbInputError(`vips[${i}].vip: ${entry.vip} is listed twice`, 'merge the two entries into one');
    seen.add(entry.vip);
    const backends = sortedBackends(entry.backends, i);
    if (backends.nums.includes(vn)) throw new LbInputError(`vips[${i}].backends: ${entry.vip} is the VIP itself`, 'a VIP cannot be its own backend');
    if (out.length > 0 && out[out.length - 1]!.n > vn) ordered = false;
    out.push({ vip: entry.vip, n: vn, backends: backends.ips });
  });
  if (!ordered) out.sort((a, b) => a.n - b.n);
  return new Map(out.map(({ vip, backends }) => [vip, backends]));
}

/**
 * The backends parsed, in numeric order, duplicates dropped. Input already in strictly increasing
 * order (the common case) is copied as it is; only other input pays for pairs and a sort. This
 * runs for every VIP of every sync (10,000 addresses in the benchmark), where allocation is what
 * shows at p99 (garbage collection).
 */
function sortedBackends(input: readonly string[], vip: number): { ips: string[]; nums: number[] } {
  const nums = new Array<number>(input.length);
  let increasing = true;
  for (let j = 0; j < input.length; j++) {
    nums[j] = parseIpv4(input[j]!, vip, j);
    if (j > 0 && nums[j]! <= nums[j - 1]!) increasing = false;
  }
  if (increasing) return { ips: input.slice(), nums };
  const pairs = input.map((ip, j): [string, number] => [ip, nums[j]!]).sort((a, b) => a[1] - b[1]);
  const ips: string[] = [];
  const kept: number[] = [];
  for (const [ip, n] of pairs) {
    if (kept.length > 0 && kept[kept.length - 1] === n) continue;
    ips.push(ip);
    kept.push(n);
  }
  return { ips, nums: kept };
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

/**
 * Strict dotted quad (no leading zeros, no other notations) -> its number. Hand-written, neither
 * ipaddr.js nor a regular expression, because it runs for every address of every sync: 11,000
 * addresses took 30 ms through ipaddr.js and ~9 ms through a capturing regex with its error
 * location built per address (more than the nft transaction of a partial sync).
 */
function parseIpv4(s: string, vip: number, backend?: number): number {
  const n = typeof s === 'string' ? dottedQuad(s) : -1;
  if (n >= 0 && n !== 0 && n !== 0xffffffff && (n < 0xe0000000 || n > 0xefffffff)) return n;
  // The place is spelled out only on error: a template string per address cost more than parsing.
  const where = backend === undefined ? `vips[${vip}].vip` : `vips[${vip}].backends[${backend}]`;
  if (n < 0) throw new LbInputError(`${where}: ${JSON.stringify(s)} is not an IPv4 address`, 'write it as four decimal parts, e.g. 10.0.1.250');
  const kind = n === 0 ? 'unspecified' : n === 0xffffffff ? 'broadcast' : 'multicast';
  throw new LbInputError(`${where}: ${s} is a ${kind} address`, 'use a unicast address');
}

/** `a.b.c.d`, each part 0-255 in decimal without leading zeros, as a number; -1 when it is not. */
export function dottedQuad(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
      continue;
    }
    if (c < 48 || c > 57) return -1;
    if (digits > 0 && part === 0) return -1; // a leading zero
    part = part * 10 + (c - 48);
    digits++;
    if (part > 255) return -1;
  }
  return dots === 3 && digits > 0 ? n * 256 + part : -1;
}
