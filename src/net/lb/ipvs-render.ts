/**
 * The IPVS rendering of a VIP table, for kernels that have IPVS (this project's test machines do
 * not: the text is unit tested only). The shape is Docker Swarm's: in the client namespace, a
 * mangle-priority nft chain marks packets to a VIP with a firewall mark, and an IPVS fwmark
 * service per VIP forwards marked packets to its real servers in masquerade (NAT) mode. A fwmark
 * service matches every port and protocol, and a real server given without a port keeps the
 * request's port: the same "any port" semantics as the nftables DNAT.
 *
 * The mark is the VIP's address as a 32-bit number: unique per VIP, stable across syncs and
 * processes, no allocator (a VIP is never 0.0.0.0, so no mark is 0).
 *
 * Empty VIPs get no IPVS service (IPVS with no real server would drop or answer depending on
 * kernel version); they go to the same `refuse` set and reject chain as in the nftables table.
 */
import { compareIpv4, ipv4ToUint32, sameBackends, type NormalVipTable } from './model.js';

export const IPVS_NFT_TABLE = 'tsswarm-ipvs';
const T = `ip ${IPVS_NFT_TABLE}`;

export function vipMark(vip: string): number {
  return ipv4ToUint32(vip);
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** ipvsadm-restore text that leaves exactly `table`'s services (`-C` clears the namespace's IPVS). */
export function renderIpvsFull(table: NormalVipTable): string {
  const out = ['-C'];
  for (const [vip, backends] of table) if (backends.length > 0) out.push(...addService(vip, backends));
  return out.join('\n') + '\n';
}

/**
 * The IPVS difference in two parts, so that no marked packet meets a missing service: `before`
 * (new services, new and removed real servers) runs before the mark table changes, `after`
 * (deleted services) once nothing is marked for them any more.
 */
export function renderIpvsDiff(prev: NormalVipTable, next: NormalVipTable): { before: string; after: string } {
  const before: string[] = [];
  const after: string[] = [];
  for (const [vip, want] of next) {
    const had = prev.get(vip) ?? [];
    if (sameBackends(had, want)) continue;
    const m = vipMark(vip);
    if (had.length === 0) before.push(...addService(vip, want));
    else if (want.length === 0) after.push(`-D -f ${m}`);
    else {
      for (const b of want) if (!had.includes(b)) before.push(`-a -f ${m} -r ${b} -m -w 1`);
      for (const b of had) if (!want.includes(b)) before.push(`-d -f ${m} -r ${b}`);
    }
  }
  for (const [vip, had] of prev) if (!next.has(vip) && had.length > 0) after.push(`-D -f ${vipMark(vip)}`);
  const text = (l: string[]) => (l.length === 0 ? '' : l.join('\n') + '\n');
  return { before: text(before), after: text(after) };
}

function addService(vip: string, backends: readonly string[]): string[] {
  const m = vipMark(vip);
  return [`-A -f ${m} -s rr`, ...backends.map((b) => `-a -f ${m} -r ${b} -m -w 1`)];
}

/** The marking table from nothing (same atomic add/delete/add as the nftables table). */
export function renderIpvsMarksFull(table: NormalVipTable): string {
  const out = [
    `add table ${T}`,
    `delete table ${T}`,
    `add table ${T}`,
    `add map ${T} marks { type ipv4_addr : mark ; }`,
    `add set ${T} refuse { type ipv4_addr ; }`,
    // A lookup that misses ends the rule (no mark is set): only VIPs get marked.
    `add chain ${T} mark-output { type route hook output priority -150 ; policy accept ; }`,
    `add rule ${T} mark-output meta mark set ip daddr map @marks`,
    `add chain ${T} refuse-output { type filter hook output priority 0 ; policy accept ; }`,
    `add rule ${T} refuse-output ip daddr @refuse meta l4proto tcp reject with tcp reset`,
    `add rule ${T} refuse-output ip daddr @refuse reject`,
  ];
  const live = [...table].filter(([, b]) => b.length > 0).map(([v]) => `${v} : ${hex(vipMark(v))}`);
  const refuse = [...table].filter(([, b]) => b.length === 0).map(([v]) => v);
  if (refuse.length > 0) out.push(`add element ${T} refuse { ${refuse.join(', ')} }`);
  if (live.length > 0) out.push(`add element ${T} marks { ${live.join(', ')} }`);
  return out.join('\n') + '\n';
}

/** The marking table's difference: which VIPs are marked and which refuse. */
export function renderIpvsMarksDiff(prev: NormalVipTable, next: NormalVipTable): string {
  const state = (t: NormalVipTable, vip: string) => {
    const b = t.get(vip);
    return b === undefined ? 'absent' : b.length === 0 ? 'refuse' : 'mark';
  };
  const del: Record<'mark' | 'refuse', string[]> = { mark: [], refuse: [] };
  const add: Record<'mark' | 'refuse', string[]> = { mark: [], refuse: [] };
  for (const vip of [...new Set([...prev.keys(), ...next.keys()])].sort(compareIpv4)) {
    const a = state(prev, vip);
    const b = state(next, vip);
    if (a === b) continue;
    if (a !== 'absent') del[a].push(vip);
    if (b !== 'absent') add[b].push(b === 'mark' ? `${vip} : ${hex(vipMark(vip))}` : vip);
  }
  const out: string[] = [];
  if (del.mark.length > 0) out.push(`delete element ${T} marks { ${del.mark.join(', ')} }`);
  if (del.refuse.length > 0) out.push(`delete element ${T} refuse { ${del.refuse.join(', ')} }`);
  if (add.refuse.length > 0) out.push(`add element ${T} refuse { ${add.refuse.join(', ')} }`);
  if (add.mark.length > 0) out.push(`add element ${T} marks { ${add.mark.join(', ')} }`);
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

export function renderIpvsMarksRemove(): string {
  return `add table ${T}\ndelete table ${T}\n`;
}
