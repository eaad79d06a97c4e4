/**
 * Readers of iproute2's and nft's JSON output (`ip -j -d addr show`, `bridge -j fdb show dev X`,
 * `ip -j neigh show dev X`, `nft -j list table ...`) into the observed model. Pure: the text in,
 * plain data out, so fixtures captured from a real kernel test them. Fields we do not use are
 * ignored; a shape we cannot read is an error rather than a guess (a guess would make the planner
 * delete things).
 */
import { normalizeIpv4, normalizeMac } from './addressing.js';
import { OverlayParseError } from './errors.js';
import type { ObservedFdbEntry, ObservedFirewall, ObservedLink, ObservedNeighbour } from './types.js';

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arrayOf(source: string, text: string): unknown[] {
  // iproute2 prints nothing at all (not `[]`) for some empty listings.
  if (text.trim() === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new OverlayParseError(source, `not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(v)) throw new OverlayParseError(source, 'expected a JSON array');
  return v;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** IPv4 `addr_info` entries as `address/prefixlen` (absent when read without addresses). */
function ipv4Addresses(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.flatMap((a) => (isObj(a) && a.family === 'inet' && typeof a.local === 'string' && typeof a.prefixlen === 'number' ? [`${normalizeIpv4(a.local) ?? a.local}/${a.prefixlen}`] : []));
}

/** `ip -j -d addr show` (or `ip -j -d link show`, without addresses) */
export function parseLinks(text: string): ObservedLink[] {
  return arrayOf('ip link', text).map((l, i) => {
    if (!isObj(l)) throw new OverlayParseError('ip link', `entry ${i} is not an object`);
    const name = str(l.ifname);
    const mtu = num(l.mtu);
    if (name === undefined || mtu === undefined) throw new OverlayParseError('ip link', `entry ${i} has no ifname/mtu`);
    const flags = Array.isArray(l.flags) ? l.flags : [];
    const info = isObj(l.linkinfo) ? l.linkinfo : undefined;
    const kind = str(info?.info_kind);
    const data = isObj(info?.info_data) ? info.info_data : {};
    let vxlan: ObservedLink['vxlan'];
    if (kind === 'vxlan') {
      const vni = num(data.id);
      const port = num(data.port);
      if (vni === undefined || port === undefined) throw new OverlayParseError('ip link', `${name}: vxlan without id/port (was -d given?)`);
      vxlan = { vni, port, local: str(data.local), learning: data.learning === true };
    }
    const addresses = ipv4Addresses(l.addr_info);
    const mac = str(l.address);
    return {
      name,
      kind,
      mtu,
      ...(mac === undefined ? {} : { mac: normalizeMac(mac) ?? mac }),
      up: flags.includes('UP'),
      master: str(l.master),
      vxlan,
      ...(kind === 'macvlan' ? { parent: str(l.link), macvlanMode: str(data.mode) } : {}),
      ...(addresses === undefined ? {} : { addresses }),
    };
  });
}

/** `bridge -j fdb show dev X`: only the device's own (`self`) entries with a remote. */
export function parseFdb(text: string): ObservedFdbEntry[] {
  const out: ObservedFdbEntry[] = [];
  for (const e of arrayOf('bridge fdb', text)) {
    if (!isObj(e)) continue;
    const flags = Array.isArray(e.flags) ? e.flags : [];
    const mac = normalizeMac(str(e.mac) ?? '');
    const dst = str(e.dst);
    if (!flags.includes('self') || mac === undefined || dst === undefined) continue;
    out.push({ mac, dst: normalizeIpv4(dst) ?? dst });
  }
  return out;
}

function chainIsOurs(c: Json, shape: FirewallShape): boolean {
  const want = shape.chains.find((x) => x.name === c.name);
  return want !== undefined && c.type === 'filter' && c.hook === want.hook && c.prio === want.priority && c.policy === 'accept';
}

/** `ip -j neigh show dev X` (IPv4 entries only: the overlay is IPv4). */
export function parseNeighbours(text: string): ObservedNeighbour[] {
  const out: ObservedNeighbour[] = [];
  for (const e of arrayOf('ip neigh', text)) {
    if (!isObj(e)) continue;
    const ip = normalizeIpv4(str(e.dst) ?? '');
    if (ip === undefined) continue;
    const state = Array.isArray(e.state) ? e.state : [];
    const lladdr = str(e.lladdr);
    out.push({ ip, mac: lladdr === undefined ? undefined : normalizeMac(lladdr), permanent: state.includes('PERMANENT') });
  }
  return out;
}

/** One base chain of our table: its hook and priority, and its rules' comments in order. */
export interface FirewallChainShape {
  readonly name: string;
  readonly hook: string;
  readonly priority: number;
  readonly rules: readonly string[];
}

/** What {@link parseFirewall} needs to recognise our table. */
export interface FirewallShape {
  readonly table: string;
  readonly chains: readonly FirewallChainShape[];
  readonly vtepSet: string;
  readonly portSet: string;
}

/** Set elements as nft prints them: plain values, or `{elem: {val}}` for elements with attributes. */
function elements(v: unknown): unknown[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => (isObj(x) && isObj(x.elem) ? x.elem.val : x));
}

/**
 * `nft -j list table inet NAME`. Recognises our table by its chains (hook, priority, policy) and
 * their rules by comments in order; anything else in it makes the table not intact, and the
 * planner rebuilds it whole (one transaction) rather than patch rules it cannot name.
 */
export function parseFirewall(text: string, shape: FirewallShape): ObservedFirewall {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new OverlayParseError('nft', `not JSON (${(e as Error).message})`);
  }
  if (!isObj(v) || !Array.isArray(v.nftables)) throw new OverlayParseError('nft', 'expected {"nftables": [...]}');
  let vteps: string[] = [];
  let ports: number[] = [];
  let setsSeen = 0;
  const chainsOk = new Map<string, boolean>();
  const comments = new Map<string, string[]>();
  let dropped = 0;
  for (const item of v.nftables) {
    if (!isObj(item)) continue;
    if (isObj(item.set) && item.set.table === shape.table) {
      const s = item.set;
      if (s.name === shape.vtepSet && s.type === 'ipv4_addr') {
        vteps = elements(s.elem).flatMap((x) => (typeof x === 'string' ? [normalizeIpv4(x) ?? x] : []));
        setsSeen++;
      } else if (s.name === shape.portSet && s.type === 'inet_service') {
        ports = elements(s.elem).flatMap((x) => (typeof x === 'number' ? [x] : []));
        setsSeen++;
      }
    } else if (isObj(item.chain) && item.chain.table === shape.table) {
      chainsOk.set(String(item.chain.name), chainIsOurs(item.chain, shape));
    } else if (isObj(item.rule) && item.rule.table === shape.table) {
      const r = item.rule;
      const chain = String(r.chain);
      comments.set(chain, [...(comments.get(chain) ?? []), str(r.comment) ?? '']);
      const exprs = Array.isArray(r.expr) ? r.expr : [];
      for (const x of exprs) if (isObj(x) && isObj(x.counter) && chain === shape.chains[0]?.name) dropped += num(x.counter.packets) ?? 0;
    }
  }
  const sameRules = (c: FirewallChainShape): boolean => {
    const have = comments.get(c.name) ?? [];
    return have.length === c.rules.length && have.every((x, i) => x === c.rules[i]);
  };
  const intact =
    setsSeen === 2 &&
    chainsOk.size === shape.chains.length &&
    [...chainsOk.values()].every(Boolean) &&
    shape.chains.every(sameRules) &&
    [...comments.keys()].every((k) => chainsOk.has(k));
  return { intact, vteps, ports, dropped };
}
