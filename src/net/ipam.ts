import ipaddr from 'ipaddr.js';

/**
 * Address arithmetic for the allocator: parsing and overlap of IPv4 CIDRs, one subnet's address
 * pool, the choice of a subnet from the cluster's default address pools, and the VNI pool.
 * Pure and deterministic (lowest free first), so two managers reading the same store decide the
 * same addresses; nothing here remembers anything between allocator passes (see src/swarm/manager/allocator/doc.ts).
 *
 * IPv4 only for now: an IPv6 subnet or address is refused with a message that says so, rather
 * than half-handled.
 */

/** An IPv4 address as an unsigned 32-bit integer: ranges and alignment are plain arithmetic. */
export type Addr = number;

/** A CIDR block: its first address and prefix length. `base` has no host bits set. */
export interface Cidr {
  readonly base: Addr;
  readonly prefix: number;
}

export type IpamErrorCode = 'invalid' | 'ipv6' | 'overlap' | 'exhausted';

/** A refusal of an address, subnet or pool; `code` classifies it for callers that map errors. */
export class IpamError extends Error {
  constructor(
    readonly code: IpamErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IpamError';
  }
}

export function isIpamError(e: unknown, code?: IpamErrorCode): e is IpamError {
  return e instanceof IpamError && (code === undefined || e.code === code);
}

/** Parse a dotted-quad IPv4 address (`what` names the value in errors, e.g. "gateway"). */
export function parseAddr(s: string, what = 'address'): Addr {
  if (ipaddr.IPv6.isValid(s)) throw new IpamError('ipv6', `${what} ${s}: IPv6 is not supported yet (IPv4 only)`);
  // Four-part decimal only: ipaddr.js would also read "10.1" or "0x0a000001", which nobody means.
  if (!ipaddr.IPv4.isValidFourPartDecimal(s)) throw new IpamError('invalid', `${what} ${JSON.stringify(s)} is not an IPv4 address`);
  const b = ipaddr.IPv4.parse(s).octets;
  return ((b[0]! * 256 + b[1]!) * 256 + b[2]!) * 256 + b[3]!;
}

export function formatAddr(a: Addr): string {
  return [Math.floor(a / 2 ** 24) % 256, Math.floor(a / 2 ** 16) % 256, Math.floor(a / 256) % 256, a % 256].join('.');
}

/** Number of addresses in a block (2^(32-prefix)). */
export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

/** Last address of a block (the broadcast address of a subnet). */
export function cidrEnd(c: Cidr): Addr {
  return c.base + cidrSize(c) - 1;
}

function alignDown(a: Addr, prefix: number): Addr {
  const size = 2 ** (32 - prefix);
  return Math.floor(a / size) * size;
}

/**
 * Parse `A.B.C.D/N`. `strict` (subnets, ip ranges, pools the operator wrote) refuses host bits,
 * as Docker does ("10.0.0.5/24" is a typo for something); non-strict (a node's interface address
 * such as "192.168.1.7/24") yields the block it lies in.
 */
export function parseCidr(s: string, what = 'subnet', o: { strict?: boolean } = {}): Cidr {
  const slash = s.indexOf('/');
  if (slash < 0) throw new IpamError('invalid', `${what} ${JSON.stringify(s)} is not a CIDR (expected A.B.C.D/N)`);
  const addrPart = s.slice(0, slash);
  const lenPart = s.slice(slash + 1);
  if (ipaddr.IPv6.isValid(addrPart)) throw new IpamError('ipv6', `${what} ${s}: IPv6 is not supported yet (IPv4 only)`);
  if (!/^\d{1,2}$/.test(lenPart) || Number(lenPart) > 32) throw new IpamError('invalid', `${what} ${JSON.stringify(s)}: prefix length must be 0-32`);
  const prefix = Number(lenPart);
  const a = parseAddr(addrPart, what);
  const base = alignDown(a, prefix);
  if ((o.strict ?? true) && base !== a) throw new IpamError('invalid', `${what} ${s} has host bits set; did you mean ${formatCidr({ base, prefix })}?`);
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatAddr(c.base)}/${c.prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= cidrEnd(b) && b.base <= cidrEnd(a);
}

export function containsAddr(c: Cidr, a: Addr): boolean {
  return a >= c.base && a <= cidrEnd(c);
}

export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && cidrEnd(inner) <= cidrEnd(outer);
}

/** Something a subnet must not overlap, with the words that name it in a refusal. */
export interface TakenRange {
  cidr: Cidr;
  /** E.g. `network front (10.0.1.0/24)` or `10.0.2.0/24 on node h1 (interfaces and routes)`. */
  what: string;
}

/** The first taken range `c` overlaps, in the order given. */
export function findOverlap(c: Cidr, taken: readonly TakenRange[]): TakenRange | undefined {
  return taken.find((t) => overlaps(c, t.cidr));
}

/**
 * The first /`size` block of the pools, in pool order and address order, that overlaps nothing
 * taken; null when every block of every pool is taken. Overlapping ranges are skipped in one
 * jump past their end, so a /8 pool costs O(taken) rather than 65 536 probes.
 */
export function chooseSubnet(pools: readonly Cidr[], size: number, taken: readonly TakenRange[]): Cidr | null {
  const block = 2 ** (32 - size);
  for (const pool of pools) {
    if (size < pool.prefix) continue; // a pool smaller than one subnet; validatePools refuses it
    const end = cidrEnd(pool);
    let at = pool.base;
    while (at + block - 1 <= end) {
      const c = { base: at, prefix: size };
      let skipTo = -1;
      for (const t of taken) if (overlaps(c, t.cidr)) skipTo = Math.max(skipTo, cidrEnd(t.cidr) + 1);
      if (skipTo < 0) return c;
      at = Math.ceil(skipTo / block) * block;
    }
  }
  return null;
}

/** Swarm's defaults: `10.0.0.0/8` cut into /24s. */
export const DEFAULT_ADDR_POOLS: readonly string[] = ['10.0.0.0/8'];
export const DEFAULT_SUBNET_SIZE = 24;

/**
 * The cluster's default address pools and subnet size, parsed (the `init` flags): IPv4 CIDRs
 * without host bits, no two overlapping, each at least one subnet large, and a subnet size that
 * leaves addresses for tasks (/30 at most). Throws an IpamError naming the offending value.
 */
export function validatePools(pools: readonly string[], subnetSize: number): Cidr[] {
  const r = checkPools(pools, subnetSize);
  if ('problem' in r) throw new IpamError(r.problem.code, r.problem.message);
  return r.pools;
}

function checkPools(pools: readonly string[], subnetSize: number): { pools: Cidr[] } | { problem: NetworkingProblem & { code: IpamErrorCode } } {
  const bad = (field: NetworkingProblem['field'], message: string, code: IpamErrorCode = 'invalid') => ({ problem: { field, message, code } });
  if (!Number.isInteger(subnetSize) || subnetSize < 1 || subnetSize > 30) return bad('subnetSize', `subnet size /${subnetSize}: must be 1-30 (a /31 or /32 has no room for tasks)`);
  if (pools.length === 0) return bad('defaultAddrPools', 'at least one default address pool is needed');
  const parsed: Cidr[] = [];
  for (const p of pools) {
    let c: Cidr;
    try {
      c = parseCidr(p, 'address pool');
    } catch (e) {
      if (isIpamError(e)) return bad('defaultAddrPools', e.message, e.code);
      throw e;
    }
    const other = parsed.findIndex((o) => overlaps(o, c));
    if (other >= 0) return bad('defaultAddrPools', `address pools ${pools[other]} and ${p} overlap`, 'overlap');
    if (subnetSize < c.prefix) return bad('subnetSize', `subnet size /${subnetSize} is larger than address pool ${p}`);
    parsed.push(c);
  }
  return { pools: parsed };
}

/**
 * Host addresses of one subnet: never the network or broadcast address. Task and VIP addresses
 * come from the ip range (the whole subnet when there is none); node gateway addresses come from
 * anywhere in the subnet, so with a range that leaves room outside it they do not eat task
 * addresses. Lowest free first in both cases.
 */
export class AddressPool {
  readonly range: Cidr;
  private readonly used = new Set<Addr>();
  /** Lowest address that may be free, per scan start; lowered again by release. */
  private readonly cursor = new Map<Addr, Addr>();
  private readonly first: Addr;
  private readonly last: Addr;

  constructor(
    readonly subnet: Cidr,
    ipRange: Cidr | null = null,
  ) {
    // A /31 or /32 has no host address besides network and broadcast (RFC 3021 point-to-point
    // links are not what an overlay is).
    if (subnet.prefix > 30) throw new IpamError('invalid', `subnet ${formatCidr(subnet)} is too small: a /31 or /32 has no room for a gateway and tasks (use /30 or larger)`);
    if (ipRange !== null && !containsCidr(subnet, ipRange)) throw new IpamError('invalid', `ip range ${formatCidr(ipRange)} is not inside subnet ${formatCidr(subnet)}`);
    this.range = ipRange ?? subnet;
    this.first = subnet.base + 1;
    this.last = cidrEnd(subnet) - 1;
  }

  /** A host address of the subnet: inside it, not its network or broadcast address. */
  isHost(a: Addr): boolean {
    return a >= this.first && a <= this.last;
  }

  inRange(a: Addr): boolean {
    return this.isHost(a) && containsAddr(this.range, a);
  }

  has(a: Addr): boolean {
    return this.used.has(a);
  }

  /** Take a specific address; false when it is not a host address or already taken. */
  reserve(a: Addr): boolean {
    if (!this.isHost(a) || this.used.has(a)) return false;
    this.used.add(a);
    return true;
  }

  release(a: Addr): void {
    if (!this.used.delete(a)) return;
    for (const [from, at] of this.cursor) if (a >= from && a < at) this.cursor.set(from, a);
  }

  /**
   * Take the lowest free address: from the ip range (`where: 'range'`, tasks and VIPs) or the
   * whole subnet (`'subnet'`, node gateways). `keepFree` refuses when taking one would leave
   * fewer than that many free addresses in the subnet (room kept for node gateways).
   */
  allocate(o: { where?: 'range' | 'subnet'; keepFree?: number } = {}): Addr | null {
    if (this.subnetFree() <= (o.keepFree ?? 0)) return null;
    const lo = o.where === 'subnet' ? this.first : Math.max(this.first, this.range.base);
    const hi = o.where === 'subnet' ? this.last : Math.min(this.last, cidrEnd(this.range));
    for (let a = Math.max(lo, this.cursor.get(lo) ?? lo); a <= hi; a++) {
      if (this.used.has(a)) continue;
      this.used.add(a);
      this.cursor.set(lo, a + 1);
      return a;
    }
    this.cursor.set(lo, hi + 1);
    return null;
  }

  /**
   * Take a whole aligned block of `/prefix` (a node's attachment range): every host address in
   * it is free, and all of them are taken at once, so no task, VIP or gateway ever gets one.
   * Searched from the top of the subnet down (tasks and VIPs fill it from the bottom up): blocks
   * above the ip range, then below it, then inside it; null when no block is wholly free (or a
   * `/prefix` block does not fit: it must be smaller than the subnet, /30 at most). Cost:
   * O(addresses in use), never a scan of every address of a large subnet.
   */
  allocateBlock(prefix: number): Cidr | null {
    if (!Number.isInteger(prefix) || prefix <= this.subnet.prefix || prefix > 30) return null;
    const size = 2 ** (32 - prefix);
    const index = (a: Addr): number => Math.floor((a - this.subnet.base) / size);
    const busy = new Set<number>();
    for (const a of this.used) busy.add(index(a));
    // Each scan stops at the first free block, so it walks only over busy ones.
    const firstFree = (from: number, to: number): number | null => {
      for (let i = from; i >= to; i--) if (!busy.has(i)) return i;
      return null;
    };
    // Blocks overlapping the ip range are [lo, hi] (every block when there is no range).
    const lo = index(this.range.base);
    const hi = index(cidrEnd(this.range));
    const i = firstFree(cidrSize(this.subnet) / size - 1, hi + 1) ?? firstFree(lo - 1, 0) ?? firstFree(hi, lo);
    return i === null ? null : this.takeBlock({ base: this.subnet.base + i * size, prefix });
  }

  /** Take a specific block (restored from the store); false when any host address in it is taken or it is not inside the subnet. */
  reserveBlock(c: Cidr): boolean {
    if (!containsCidr(this.subnet, c) || c.prefix <= this.subnet.prefix) return false;
    for (let a = c.base; a <= cidrEnd(c); a++) if (this.used.has(a)) return false;
    this.takeBlock(c);
    return true;
  }

  private takeBlock(c: Cidr): Cidr {
    for (let a = c.base; a <= cidrEnd(c); a++) if (this.isHost(a)) this.used.add(a);
    return c;
  }

  /** Free host addresses anywhere in the subnet. */
  subnetFree(): number {
    return this.last - this.first + 1 - this.used.size;
  }

  /** Addresses in use and host addresses in all, counted in the ip range (what tasks can get). */
  usage(): { used: number; total: number } {
    const lo = Math.max(this.first, this.range.base);
    const hi = Math.min(this.last, cidrEnd(this.range));
    let used = 0;
    if (this.used.size <= hi - lo + 1) {
      for (const a of this.used) if (a >= lo && a <= hi) used++;
    } else {
      for (let a = lo; a <= hi; a++) if (this.used.has(a)) used++;
    }
    return { used, total: hi - lo + 1 };
  }
}

/** VXLAN network identifiers: Swarm starts overlay VNIs at 4096; 24 bits wide. */
export const VNI_START = 4096;
export const VNI_END = 16_777_215;

/** One VNI per overlay network, lowest free first; never two networks with one VNI. */
export class VniPool {
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(
    private readonly start = VNI_START,
    private readonly end = VNI_END,
  ) {
    this.cursor = start;
  }

  /** Take a specific VNI; false when outside the range or taken. */
  reserve(v: number): boolean {
    if (!Number.isInteger(v) || v < this.start || v > this.end || this.used.has(v)) return false;
    this.used.add(v);
    return true;
  }

  allocate(): number | null {
    for (let v = this.cursor; v <= this.end; v++) {
      if (this.used.has(v)) continue;
      this.used.add(v);
      this.cursor = v + 1;
      return v;
    }
    return null;
  }

  release(v: number): void {
    if (this.used.delete(v) && v < this.cursor) this.cursor = v;
  }
}

/** Swarm's data path port range: registered ports, never a well-known or ephemeral one. */
export const VXLAN_PORT_MIN = 1024;
export const VXLAN_PORT_MAX = 49151;

/** A refused cluster networking setting, with the field it concerns (for flags and API fields). */
export interface NetworkingProblem {
  field: 'defaultAddrPools' | 'subnetSize' | 'vxlanPort';
  message: string;
}

/** Check the cluster's networking settings as `init` receives them; null when they are usable. */
export function checkClusterNetworking(n: { defaultAddrPools: readonly string[]; subnetSize: number; vxlanPort: number }): NetworkingProblem | null {
  if (!Number.isInteger(n.vxlanPort) || n.vxlanPort < VXLAN_PORT_MIN || n.vxlanPort > VXLAN_PORT_MAX) {
    return { field: 'vxlanPort', message: `data path port ${n.vxlanPort}: must be ${VXLAN_PORT_MIN}-${VXLAN_PORT_MAX}` };
  }
  const r = checkPools(n.defaultAddrPools, n.subnetSize);
  return 'problem' in r ? { field: r.problem.field, message: r.problem.message } : null;
}
