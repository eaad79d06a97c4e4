/**
 * The backend side of the ingress routing mesh, inside each backend task's netns: replies go back
 * through the node their connection came in by, so that node's conntrack can undo its DNAT and
 * the client sees the address it connected to. Without SNAT the reply is addressed to the client,
 * and the task's own routes would send it out of its egress network (or nowhere on an internal
 * overlay): the asymmetric path Swarm avoids by hiding the client's address (moby#25526).
 *
 * How (specs/networking.md, "Ingress: the dataplane"):
 *   1. A new connection arriving on the ingress interface gets a conntrack mark chosen by the
 *      frame's source MAC: the entry node's shim, whose MAC is derived from its ingress address.
 *   2. Its packets carry that mark (prerouting: `meta mark set ct mark`, so a TCP listener's
 *      request socket inherits it with `net.ipv4.tcp_fwmark_accept=1`; output, a route chain:
 *      every reply packet, which the kernel re-routes when the mark changes).
 *   3. `ip rule fwmark M lookup M`: table M holds `default via <that node's ingress address>`.
 *   4. A last rule (after main and default) to a table with a default via this node's own
 *      ingress address: a task with no default route (internal overlays only) would otherwise
 *      fail the reply's first route lookup before any mark is applied (UDP sendto: ENETUNREACH).
 *      The host drops anything unmarked routed through a shim, so that route leads nowhere else.
 *   `net.ipv4.conf.all.src_valid_mark=1` lets reverse-path filtering, where a host turns it on,
 *   judge marked packets by the mark's table.
 */
import { dottedQuad } from '../lb/model.js';
import { IngressInputError } from './errors.js';
import { REPLY_MARK_MASK, REPLY_MARK_BASE, hex, replyMark } from './marks.js';

export const REPLY_TABLE = 'tsswarm-ingress';
const T = `ip ${REPLY_TABLE}`;
/** Preference of the per-entry-node rules (before main, 32766). */
export const REPLY_RULE_PREF = 10000;
/** Preference of the fallback rule (after main and default). */
export const FALLBACK_RULE_PREF = 32800;
/** The fallback route's table. */
export const FALLBACK_TABLE = REPLY_MARK_BASE - 1;

export interface ReplyRouting {
  /** The task's interface on the ingress overlay. */
  iface: string;
  /** Every node's ingress address (the entry nodes a connection may come from), this node's included. */
  gateways: readonly string[];
  /** This node's ingress address (the fallback route). */
  self: string;
}

export interface ReplyEntry {
  mac: string;
  gateway: string;
  mark: number;
}

export function replyEntries(r: ReplyRouting, macForIp: (ip: string) => string): ReplyEntry[] {
  if (!/^[A-Za-z0-9_.@-]{1,15}$/.test(r.iface)) throw new IngressInputError(`iface: ${JSON.stringify(r.iface)} is not an interface name`);
  if (dottedQuad(r.self) < 0) throw new IngressInputError(`self: ${JSON.stringify(r.self)} is not an IPv4 address`);
  const byMark = new Map<number, string>();
  const out: ReplyEntry[] = [];
  for (const [i, g] of [...new Set(r.gateways)].sort((a, b) => dottedQuad(a) - dottedQuad(b)).entries()) {
    if (dottedQuad(g) < 0) throw new IngressInputError(`gateways[${i}]: ${JSON.stringify(g)} is not an IPv4 address`);
    const mark = replyMark(g);
    const other = byMark.get(mark);
    if (other !== undefined) throw new IngressInputError(`gateways: ${other} and ${g} share their low 16 bits`, 'the ingress subnet must be /16 or smaller');
    byMark.set(mark, g);
    out.push({ mac: macForIp(g), gateway: g, mark });
  }
  return out;
}

/** The netns's nft table, whole, replacing what was there. */
export function renderReplyTable(iface: string, entries: readonly ReplyEntry[]): string {
  const out = [
    `add table ${T}`,
    `delete table ${T}`,
    `add table ${T}`,
    `add map ${T} entry { type ether_addr : mark ; }`,
    `add chain ${T} prerouting { type filter hook prerouting priority mangle ; policy accept ; }`,
    `add rule ${T} prerouting iifname "${iface}" ct state new ct mark set ether saddr map @entry`,
    `add rule ${T} prerouting iifname "${iface}" ct mark & ${hex(REPLY_MARK_MASK)} == ${hex(REPLY_MARK_BASE)} meta mark set ct mark`,
    `add chain ${T} output { type route hook output priority mangle ; policy accept ; }`,
    `add rule ${T} output ct mark & ${hex(REPLY_MARK_MASK)} == ${hex(REPLY_MARK_BASE)} meta mark set ct mark`,
  ];
  if (entries.length > 0) out.push(`add element ${T} entry { ${entries.map((e) => `${e.mac} : ${hex(e.mark)}`).join(', ')} }`);
  return out.join('\n') + '\n';
}

/** One rule as `ip -j rule show` lists it (only what we compare). */
export interface ListedRule {
  priority: number;
  fwmark?: string;
  table: string;
}

/**
 * `ip -batch` lines that make the netns's rules and routes ours: wanted ones added (routes
 * replaced, idempotent), our stale ones deleted after, so a reply never lacks a route in between.
 */
export function replyRouteBatch(iface: string, self: string, entries: readonly ReplyEntry[], listed: readonly ListedRule[]): string {
  const lines: string[] = [];
  const wanted = new Set(entries.map((e) => e.mark));
  const have = new Set(listed.filter((r) => r.priority === REPLY_RULE_PREF && r.fwmark !== undefined).map((r) => Number(r.fwmark)));
  for (const e of entries) lines.push(`route replace default via ${e.gateway} dev ${iface} table ${e.mark}`);
  lines.push(`route replace default via ${self} dev ${iface} table ${FALLBACK_TABLE}`);
  for (const e of entries) if (!have.has(e.mark)) lines.push(`rule add pref ${REPLY_RULE_PREF} fwmark ${hex(e.mark)} table ${e.mark}`);
  if (!listed.some((r) => r.priority === FALLBACK_RULE_PREF && r.table === String(FALLBACK_TABLE))) lines.push(`rule add pref ${FALLBACK_RULE_PREF} table ${FALLBACK_TABLE}`);
  for (const m of have) {
    if (wanted.has(m)) continue;
    lines.push(`rule del pref ${REPLY_RULE_PREF} fwmark ${hex(m)} table ${m}`, `route flush table ${m}`);
  }
  return lines.join('\n') + '\n';
}
