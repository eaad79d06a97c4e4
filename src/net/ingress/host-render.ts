/**
 * The entry side of the ingress routing mesh, in the host's netns: `table ip tsswarm-ingress`.
 *
 *   map ports        inet_proto . inet_service : verdict    published port -> `goto p-<proto>-<port>`
 *   chain prerouting nat hook prerouting, before Docker's:  `fib daddr type local` + `@ports`
 *   chain output     the same for connections the host opens to its own non-loopback addresses
 *   chain postrouting masquerades the connections of `snat` ports towards the ingress shim
 *   chain p-<proto>-<port>  marks the connection (INGRESS, and SNAT for snat ports), then DNATs to
 *                    `numgen random mod N` of the port's backends, on its target port
 *
 * Every address of the node answers (`fib daddr type local`), whichever interface the client
 * came by, as Swarm's mesh does. A port without backends is left out of the map: the host's own
 * stack then answers, with a reset when nothing listens (a nat chain cannot reject). The whole
 * table is replaced in one transaction (`add`/`delete`/build, see src/net/lb/nft-render.ts): it
 * holds one chain per published port, a handful, and established connections keep their NAT
 * binding in conntrack whatever the table becomes.
 */
import { dottedQuad } from '../lb/model.js';
import { IngressInputError } from './errors.js';
import { INGRESS_CT_MARK, SNAT_CT_MARK, hex } from './marks.js';

export const INGRESS_TABLE = 'tsswarm-ingress';
const T = `ip ${INGRESS_TABLE}`;

export interface IngressHostPort {
  protocol: 'tcp' | 'udp' | 'sctp';
  /** The port every node answers on. */
  port: number;
  /** The port on the backend. */
  target: number;
  /** Masquerade towards the backend (it then sees the entry node's ingress address). */
  snat: boolean;
  /** Backend addresses on the ingress overlay. */
  backends: readonly string[];
}

export interface IngressHostTable {
  /** The host's interface on the ingress overlay (its shim): where snat ports are masqueraded. */
  shim: string;
  ports: readonly IngressHostPort[];
}

/** Validated and sorted: equal tables render equal text. */
export function normalizeHostTable(t: IngressHostTable): IngressHostTable {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(t.shim)) throw new IngressInputError(`shim: ${JSON.stringify(t.shim)} is not an interface name`);
  const seen = new Set<string>();
  const ports = t.ports.map((p, i) => {
    const at = `ports[${i}]`;
    if (!['tcp', 'udp', 'sctp'].includes(p.protocol)) throw new IngressInputError(`${at}.protocol: ${JSON.stringify(p.protocol)} is not tcp, udp or sctp`);
    for (const [k, v] of [['port', p.port], ['target', p.target]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 65535) throw new IngressInputError(`${at}.${k}: ${String(v)} is not a port (1-65535)`);
    }
    const key = `${p.protocol}/${p.port}`;
    if (seen.has(key)) throw new IngressInputError(`${at}: ${key} is listed twice`, 'one published port belongs to one service');
    seen.add(key);
    p.backends.forEach((b, j) => {
      if (dottedQuad(b) < 0) throw new IngressInputError(`${at}.backends[${j}]: ${JSON.stringify(b)} is not an IPv4 address`);
    });
    const backends = [...new Set(p.backends)].sort((a, b) => dottedQuad(a) - dottedQuad(b));
    return { protocol: p.protocol, port: p.port, target: p.target, snat: p.snat, backends };
  });
  ports.sort((a, b) => (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : a.port - b.port));
  return { shim: t.shim, ports };
}

export function portChain(p: Pick<IngressHostPort, 'protocol' | 'port'>): string {
  return `p-${p.protocol}-${p.port}`;
}

/** The whole table, replacing whatever was there in one transaction. */
export function renderHostTable(table: IngressHostTable): string {
  const t = normalizeHostTable(table);
  const out = [
    `add table ${T}`,
    `delete table ${T}`,
    `add table ${T}`,
    `add map ${T} ports { type inet_proto . inet_service : verdict ; }`,
    // Before Docker's own DNAT (priority -100): a published port wins over a container's -p on the same port.
    `add chain ${T} prerouting { type nat hook prerouting priority -110 ; policy accept ; }`,
    `add rule ${T} prerouting fib daddr type local meta l4proto . th dport vmap @ports`,
    `add chain ${T} output { type nat hook output priority -110 ; policy accept ; }`,
    `add rule ${T} output ip daddr != 127.0.0.0/8 fib daddr type local meta l4proto . th dport vmap @ports`,
    `add chain ${T} postrouting { type nat hook postrouting priority 90 ; policy accept ; }`,
    `add rule ${T} postrouting ct mark & ${hex(SNAT_CT_MARK)} == ${hex(SNAT_CT_MARK)} oifname "${t.shim}" masquerade`,
  ];
  const elems: string[] = [];
  for (const p of t.ports) {
    if (p.backends.length === 0) continue;
    const c = portChain(p);
    const mark = INGRESS_CT_MARK | (p.snat ? SNAT_CT_MARK : 0);
    const pick = p.backends.map((b, i) => `${i} : ${b} . ${p.target}`).join(', ');
    out.push(
      `add chain ${T} ${c}`,
      `add rule ${T} ${c} ct mark set ct mark | ${hex(mark)}`,
      `add rule ${T} ${c} meta l4proto ${p.protocol} dnat ip to numgen random mod ${p.backends.length} map { ${pick} }`,
    );
    elems.push(`${p.protocol} . ${p.port} : goto ${c}`);
  }
  if (elems.length > 0) out.push(`add element ${T} ports { ${elems.join(', ')} }`);
  return out.join('\n') + '\n';
}

export function removeHostScript(): string {
  return `add table ${T}\ndelete table ${T}\n`;
}
