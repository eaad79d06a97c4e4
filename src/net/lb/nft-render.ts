/**
 * The nftables text for one client namespace's VIPs: pure functions from tables to `nft -f -`
 * scripts, in the flat one-command-per-line form (as knftables writes it), so that every script is
 * one transaction the kernel commits or rejects whole.
 *
 * Layout of `table ip tsswarm-lb`:
 *
 *   map vips        ipv4_addr : verdict     VIP -> `goto mod-<N>`, N = its backend count (> 0)
 *   map backends    VIP . index : backend   `typeof ip daddr . numgen random mod 1 : ip daddr`
 *   set refuse      ipv4_addr               VIPs with no backends
 *   chain nat-output      nat hook output priority -100:  `ip daddr vmap @vips`
 *   chain refuse-output   filter hook output priority 0:  reject new flows to a daddr in @refuse
 *                         (TCP with a reset, anything else with ICMP port unreachable)
 *   chain mod-<N>         one per backend count in use:
 *                         `dnat to ip daddr . numgen random mod N map @backends`
 *
 * One lookup dispatches every packet whatever the number of VIPs. The table holds a handful of
 * chains and three sets whatever the VIP count: nft builds a cache of the table's chains and sets
 * before most commands, and with a chain and an anonymous map per VIP (the first layout) that
 * cache cost ~250 KB of netlink dump per change at 1,000 VIPs. A membership change is now only
 * element updates (`backends` at the changed indices, the VIP's `vips` element when N changes),
 * in one transaction, so no new connection ever sees a half-written set. DNAT keeps the port and
 * applies to every protocol. Reject is not allowed in nat chains, hence the separate filter chain
 * for empty VIPs: it runs after nat-output, and a VIP in @refuse has no vmap element, so its
 * packets still carry the VIP as destination there. Only the first packet of a flow meets the nat
 * chain; conntrack carries the rest.
 */
import { normalizeVipTable, sameBackends, type NormalVipTable, type VipTable } from './model.js';

export const NFT_FAMILY = 'ip';
export const NFT_TABLE = 'tsswarm-lb';
const T = `${NFT_FAMILY} ${NFT_TABLE}`;

/** The chain that DNATs VIPs with `n` backends. */
export function modChain(n: number): string {
  return `mod-${n}`;
}

/** The whole table from nothing: `nft -f -` of this leaves exactly `table`, whatever was there. */
export function fullSync(table: VipTable): string {
  return renderFull(normalizeVipTable(table));
}

/** Only what changed from `prev` to `next`, as one transaction; '' when nothing did. */
export function diff(prev: VipTable, next: VipTable): string {
  return renderDiff(normalizeVipTable(prev), normalizeVipTable(next));
}

/** Deletes our table if it is there (the `add` makes the `delete` safe on a clean namespace). */
export function removeScript(): string {
  return `add table ${T}\ndelete table ${T}\n`;
}

/**
 * `add table` + `delete table` + build, in one batch: the add makes the delete succeed on a
 * namespace that never had the table, the delete drops chains and elements we no longer know
 * about (a table left by an older process), and the kernel swaps old for new atomically, so no
 * packet sees an empty table. (`flush table` would keep stale chains and set elements.)
 */
export function renderFull(table: NormalVipTable): string {
  const out = [
    `add table ${T}`,
    `delete table ${T}`,
    `add table ${T}`,
    `add map ${T} vips { type ipv4_addr : verdict ; }`,
    `add map ${T} backends { typeof ip daddr . numgen random mod 1 : ip daddr ; }`,
    `add set ${T} refuse { type ipv4_addr ; }`,
    `add chain ${T} nat-output { type nat hook output priority -100 ; policy accept ; }`,
    `add rule ${T} nat-output ip daddr vmap @vips`,
    `add chain ${T} refuse-output { type filter hook output priority 0 ; policy accept ; }`,
    `add rule ${T} refuse-output ct state new ip daddr @refuse meta l4proto tcp reject with tcp reset`,
    `add rule ${T} refuse-output ct state new ip daddr @refuse reject`,
  ];
  for (const n of counts(table)) out.push(...addModChain(n));
  const refuse: string[] = [];
  const vmap: string[] = [];
  const elems: string[] = [];
  for (const [vip, backends] of table) {
    if (backends.length === 0) {
      refuse.push(vip);
      continue;
    }
    backends.forEach((b, i) => elems.push(backendElement(vip, i, b)));
    vmap.push(vmapElement(vip, backends.length));
  }
  if (refuse.length > 0) out.push(`add element ${T} refuse { ${refuse.join(', ')} }`);
  if (elems.length > 0) out.push(`add element ${T} backends { ${elems.join(', ')} }`);
  if (vmap.length > 0) out.push(`add element ${T} vips { ${vmap.join(', ')} }`);
  return out.join('\n') + '\n';
}

/**
 * The difference as one transaction, ordered so every reference is valid when the kernel checks
 * it: new `mod-N` chains before the vmap elements that jump to them, vmap elements deleted before
 * the chains no VIP uses any more (flushed first: older kernels refuse to delete a chain that
 * still holds rules), a replaced `backends` element deleted before it is added again. Only
 * elements and, when a backend count appears or goes, one chain change: no command here needs
 * nft to cache more than a handful of objects.
 */
export function renderDiff(prev: NormalVipTable, next: NormalVipTable): string {
  const refuseDel: string[] = [];
  const refuseAdd: string[] = [];
  const vmapDel: string[] = [];
  const vmapAdd: string[] = [];
  const beDel: string[] = [];
  const beAdd: string[] = [];
  const change = (vip: string, had: readonly string[], want: readonly string[]): void => {
    for (let i = 0; i < Math.max(had.length, want.length); i++) {
      const h = had[i];
      const w = want[i];
      if (h === w) continue;
      if (h !== undefined) beDel.push(`${vip} . ${i}`);
      if (w !== undefined) beAdd.push(backendElement(vip, i, w));
    }
    if (had.length === want.length) return;
    if (had.length > 0) vmapDel.push(vip);
    if (want.length > 0) vmapAdd.push(vmapElement(vip, want.length));
  };
  for (const [vip, want] of next) {
    const had = prev.get(vip);
    if (had !== undefined && sameBackends(had, want)) continue;
    if (had !== undefined && had.length === 0) refuseDel.push(vip);
    if (want.length === 0) refuseAdd.push(vip);
    change(vip, had ?? [], want);
  }
  for (const [vip, had] of prev) {
    if (next.has(vip)) continue;
    if (had.length === 0) refuseDel.push(vip);
    change(vip, had, []);
  }
  const before = counts(prev);
  const after = counts(next);
  const out: string[] = [];
  for (const n of after) if (!before.has(n)) out.push(...addModChain(n));
  if (beDel.length > 0) out.push(`delete element ${T} backends { ${beDel.join(', ')} }`);
  if (beAdd.length > 0) out.push(`add element ${T} backends { ${beAdd.join(', ')} }`);
  if (refuseDel.length > 0) out.push(`delete element ${T} refuse { ${refuseDel.join(', ')} }`);
  if (refuseAdd.length > 0) out.push(`add element ${T} refuse { ${refuseAdd.join(', ')} }`);
  if (vmapDel.length > 0) out.push(`delete element ${T} vips { ${vmapDel.join(', ')} }`);
  if (vmapAdd.length > 0) out.push(`add element ${T} vips { ${vmapAdd.join(', ')} }`);
  for (const n of before) if (!after.has(n)) out.push(`flush chain ${T} ${modChain(n)}`, `delete chain ${T} ${modChain(n)}`);
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

/** The backend counts (> 0) in use, ascending: one `mod-N` chain each. */
function counts(table: NormalVipTable): Set<number> {
  return new Set([...new Set([...table.values()].map((b) => b.length).filter((n) => n > 0))].sort((a, b) => a - b));
}

function addModChain(n: number): string[] {
  return [`add chain ${T} ${modChain(n)}`, `add rule ${T} ${modChain(n)} dnat to ip daddr . numgen random mod ${n} map @backends`];
}

function backendElement(vip: string, i: number, backend: string): string {
  return `${vip} . ${i} : ${backend}`;
}

function vmapElement(vip: string, n: number): string {
  return `${vip} : goto ${modChain(n)}`;
}
