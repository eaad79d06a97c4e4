/**
 * The resolver's pure core: which cluster names exist on which networks, and what one client may
 * see of them. No sockets, no clock; the resolver (resolver.ts) feeds it questions and a client
 * address and turns the decision into packets.
 *
 * Scoping follows Docker's rule for user-defined networks: a container resolves the names of the
 * networks it is attached to, and nothing else. We learn the asker's networks from the source
 * address of the query: Docker's embedded resolver forwards from inside the container's netns,
 * so the query comes from the container's address on the network whose gateway it targets.
 */
import ipaddr from 'ipaddr.js';
import { DnsConfigError } from './errors.js';

/** A network this host's containers may ask from; the subnet maps a client address to it. */
export interface DnsNetwork {
  id: string;
  subnet: string;
}

/** A name with its A records on one network (a service VIP, the task addresses of a dnsrr service, a task name). */
export interface DnsRecordSet {
  name: string;
  networkId: string;
  /** IPv4 addresses. An empty list is a name that exists with no address right now (NOERROR, no answers). */
  addresses: string[];
  /** Answer reverse (PTR) queries for these addresses with this name. */
  ptr?: boolean;
}

/**
 * A container attached to several networks asks from one address only (the one on the network of
 * its `--dns` gateway). Listing its address here with all of its networks lets it see every name
 * its attachments entitle it to.
 */
export interface DnsClient {
  address: string;
  networkIds: string[];
}

export interface DnsQuestion {
  name: string;
  /** A record type name as on the wire (`A`, `AAAA`, `PTR`, `MX`, ...). */
  type: string;
}

export interface DnsRecord {
  name: string;
  type: 'A' | 'PTR';
  ttl: number;
  data: string;
}

/** Our own answer: the name is ours for this client. NXDOMAIN never comes from here: unknown names are forwarded. */
export interface DnsAnswer {
  rcode: 'NOERROR';
  answers: DnsRecord[];
}

export interface AnswerOptions {
  /** TTL of our records. Short by design: an answer must not outlive the task it names. */
  ttlSec?: number;
  /** Rotate the A records by this many places (the resolver passes a per-name query count). */
  rotate?: number;
}

export const DEFAULT_TTL_SEC = 2;

/** The built lookup structure; treat as opaque and immutable. */
export interface DnsTable {
  readonly subnets: ReadonlyArray<{ networkId: string; range: [ipaddr.IPv4, number] }>;
  readonly clients: ReadonlyMap<string, readonly string[]>;
  /** normalized name -> network id -> addresses */
  readonly names: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** address -> [{network id, name as given}] for ptr records */
  readonly reverse: ReadonlyMap<string, ReadonlyArray<{ networkId: string; name: string }>>;
}

/** Lower case, no trailing dot: DNS names compare case-insensitively and `a.` is `a`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.+$/, '');
}

function ipv4(text: string, what: string): ipaddr.IPv4 {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) throw new DnsConfigError(`${what}: "${text}" is not an IPv4 address`);
  return ipaddr.IPv4.parse(text);
}

/**
 * Builds the lookup table. Throws {@link DnsConfigError} for a bad subnet or address, or a record
 * on a network that is not listed: the caller derives all of these from one snapshot, so a
 * mismatch is a bug upstream and must not be served as a half-table.
 */
export function buildTable(networks: readonly DnsNetwork[], records: readonly DnsRecordSet[], clients: readonly DnsClient[] = []): DnsTable {
  const known = new Set<string>();
  const subnets: Array<{ networkId: string; range: [ipaddr.IPv4, number] }> = [];
  for (const n of networks) {
    if (!ipaddr.IPv4.isValidCIDR(n.subnet)) throw new DnsConfigError(`network ${n.id}: subnet "${n.subnet}" is not an IPv4 CIDR`);
    subnets.push({ networkId: n.id, range: ipaddr.IPv4.parseCIDR(n.subnet) });
    known.add(n.id);
  }
  const names = new Map<string, Map<string, string[]>>();
  const reverse = new Map<string, Array<{ networkId: string; name: string }>>();
  for (const r of records) {
    if (!known.has(r.networkId)) throw new DnsConfigError(`record ${r.name}: network ${r.networkId} is not in the table`);
    const key = normalizeName(r.name);
    if (key === '') throw new DnsConfigError(`record on network ${r.networkId}: empty name`);
    let byNet = names.get(key);
    if (!byNet) names.set(key, (byNet = new Map()));
    const addrs = byNet.get(r.networkId) ?? [];
    byNet.set(r.networkId, addrs);
    for (const a of r.addresses) {
      const canon = ipv4(a, `record ${r.name}`).toString();
      if (!addrs.includes(canon)) addrs.push(canon);
      if (r.ptr) {
        const list = reverse.get(canon) ?? [];
        if (!list.some((p) => p.networkId === r.networkId && normalizeName(p.name) === key)) list.push({ networkId: r.networkId, name: normalizeName(r.name) });
        reverse.set(canon, list);
      }
    }
  }
  const clientMap = new Map<string, string[]>();
  for (const c of clients) {
    const canon = ipv4(c.address, 'client').toString();
    clientMap.set(canon, [...new Set([...(clientMap.get(canon) ?? []), ...c.networkIds])]);
  }
  return { subnets, clients: clientMap, names, reverse };
}

/** The networks a client address is on: every subnet containing it, plus its listed attachments. */
export function clientNetworks(table: DnsTable, clientIp: string): Set<string> {
  const out = new Set<string>();
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns an IPv4-mapped IPv6 source (a dual-stack socket) back into IPv4.
    addr = ipaddr.process(clientIp);
  } catch {
    return out;
  }
  if (addr.kind() !== 'ipv4') return out;
  const v4 = addr as ipaddr.IPv4;
  for (const s of table.subnets) if (v4.match(s.range)) out.add(s.networkId);
  for (const id of table.clients.get(v4.toString()) ?? []) out.add(id);
  return out;
}

/** `4.3.2.1.in-addr.arpa` -> `1.2.3.4`; anything else (partial zones, ip6.arpa) -> undefined. */
export function reverseAddress(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(normalizeName(name));
  if (!m) return undefined;
  const text = `${m[4]}.${m[3]}.${m[2]}.${m[1]}`;
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text).toString() : undefined;
}

function rotated<T>(list: readonly T[], by: number): T[] {
  if (list.length < 2) return [...list];
  const k = ((by % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/**
 * Answers one question for one client, or says 'forward' when the name is not ours from that
 * client's point of view (unknown, or known only on networks it is not on: an outside name may
 * collide with a service on someone else's network, and forwarding is what Docker does).
 *
 * - A (and ANY) for a known name: its addresses on the client's networks, rotated by
 *   `opts.rotate` so that clients which take the first record spread over a dnsrr service's tasks.
 * - Any other type for a known name (AAAA, MX, ...): NOERROR with no answers, so the client
 *   neither waits for a forward nor concludes the name does not exist.
 * - PTR for an address of a `ptr` record on the client's networks: that record's name(s).
 */
export function answer(table: DnsTable, question: DnsQuestion, clientIp: string, opts: AnswerOptions = {}): DnsAnswer | 'forward' {
  const ttl = opts.ttlSec ?? DEFAULT_TTL_SEC;
  const type = question.type.toUpperCase();
  const nets = clientNetworks(table, clientIp);
  if (nets.size === 0) return 'forward';

  if (type === 'PTR') {
    const addr = reverseAddress(question.name);
    if (addr !== undefined) {
      const owners = (table.reverse.get(addr) ?? []).filter((p) => nets.has(p.networkId));
      if (owners.length === 0) return 'forward';
      const seen = new Set<string>();
      const answers: DnsRecord[] = [];
      for (const o of owners) {
        if (seen.has(o.name)) continue;
        seen.add(o.name);
        answers.push({ name: question.name, type: 'PTR', ttl, data: o.name });
      }
      return { rcode: 'NOERROR', answers };
    }
  }

  const byNet = table.names.get(normalizeName(question.name));
  if (!byNet) return 'forward';
  const addrs: string[] = [];
  let visible = false;
  for (const [netId, list] of byNet) {
    if (!nets.has(netId)) continue;
    visible = true;
    for (const a of list) if (!addrs.includes(a)) addrs.push(a);
  }
  if (!visible) return 'forward';
  if (type !== 'A' && type !== 'ANY') return { rcode: 'NOERROR', answers: [] };
  return {
    rcode: 'NOERROR',
    answers: rotated(addrs, opts.rotate ?? 0).map((data) => ({ name: question.name, type: 'A', ttl, data })),
  };
}
