/**
 * Readers of iproute2's and nft's JSON output (`ip -j -d link show`, `bridge -j fdb show dev X`,
 * `ip -j neigh show dev X`, `nft -j list table ...`) into the observed model. Pure: the text in,
 * plain data out, so fixtures captured from a real kernel test them. Fields we do not use are
 * ignored; a shape we cannot read is an error rather than a guess (a guess would make the planner
 * delete things).
 */
import { normalizeIpv4, normalizeMac } from './addressing.js';
import { OverlayParseError } from './errors.js';
import type { ObservedBridgeEntry, ObservedFdbEntry, ObservedFirewall, ObservedLink, ObservedNeighbour } from './types.js';

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

/** `ip -j -d link show` */
export function parseLinks(text: string): ObservedLink[] {
  return arrayOf('ip link', text).map((l, i) => {
    if (!isObj(l)) throw new OverlayParseError('ip link', `entry ${i} is not an object`);
    const name = str(l.ifname);
    const mtu = num(l.mtu);
    if (name === undefined || mtu === undefined) throw new OverlayParseError('ip link', `entry ${i} has no ifname/mtu`);
    const flags = Array.isArray(l.flags) ? l.flags : [];
    const info = isObj(l.linkinfo) ? l.linkinfo : undefined;
    const kind = str(info?.info_kind);
    let vxlan: ObservedLink['vxlan'];
    if (kind === 'vxlan') {
      const d = isObj(info?.info_data) ? info.info_data : {};
      const vni = num(d.id);
      const port = num(d.port);
      if (vni === undefined || port === undefined) throw new OverlayParseError('ip link', `${name}: vxlan without id/port (was -d given?)`);
      vxlan = { vni, port, local: str(d.local), learning: d.learning === true };
    }
    const slave = isObj(info?.info_slave_data) ? info.info_slave_data : undefined;
    const portLearning = typeof slave?.learning === 'boolean' ? slave.learning : undefined;
    return { name, kind, mtu, up: flags.includes('UP'), master: str(l.master), vxlan, ...(portLearning === undefined ? {} : { portLearning }) };
  });
}

/**
 * `bridge -j fdb show dev X`: only the device's own (`self`) entries with a remote count; the
 * bridge's entries for the port (`master`) are the bridge's business.
 */
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

/**
 * `bridge -j fdb show dev X`: the bridge's entries for port X (`master`), except the port's own
 * permanent address. Learned ones have no `static` state.
 */
export function parseBridgeFdb(text: string): ObservedBridgeEntry[] {
  const out: ObservedBridgeEntry[] = [];
  for (const e of arrayOf('bridge fdb', text)) {
    if (!isObj(e) || str(e.master) === undefined || e.state === 'permanent') continue;
    const flags = Array.isArray(e.flags) ? e.flags : [];
    const mac = normalizeMac(str(e.mac) ?? '');
    if (mac === undefined || flags.includes('self')) continue;
    out.push({ mac, static: e.state === 'static' });
  }
  return out;
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

/** What {@link parseFirewall} needs to recognise our table. */
export interface FirewallShape {
  readonly table: string;
  readonly chain: string;
  readonly hook: string;
  readonly priority: number;
  /** Rule comments, in order. */
  readonly rules: readonly string[];
  readonly vtepSet: string;
  readonly portSet: string;
}

/** Set elements as nft prints them: plain values, or `{elem: {val}}` for elements with attributes. */
function elements(v: unknown): unknown[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => (isObj(x) && isObj(x.elem) ? x.elem.val : x));
}

/**
 * `nft -j list table inet NAME`. Recognises our table by its chain (hook, priority, policy) and its
 * rules by their comments in order; anything else in it makes the table not intact, and the
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
  let chainOk = false;
  let setsSeen = 0;
  const chains = new Set<string>();
  const comments: string[] = [];
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
      const c = item.chain;
      chains.add(String(c.name));
      if (c.name === shape.chain) chainOk = c.type === 'filter' && c.hook === shape.hook && c.prio === shape.priority && c.policy === 'accept';
    } else if (isObj(item.rule) && item.rule.table === shape.table) {
      const r = item.rule;
      comments.push(r.chain === shape.chain ? (str(r.comment) ?? '') : `${String(r.chain)}:${str(r.comment) ?? ''}`);
      const exprs = Array.isArray(r.expr) ? r.expr : [];
      for (const x of exprs) if (isObj(x) && isObj(x.counter)) dropped += num(x.counter.packets) ?? 0;
    }
  }
  const intact = chainOk && chains.size === 1 && setsSeen === 2 && comments.length === shape.rules.length && comments.every((c, i) => c === shape.rules[i]);
  return { intact, vteps, ports, dropped };
}
