/**
 * The nftables text for one client namespace's VIPs: pure functions from tables to `nft -f -`
 * scripts, in the flat one-command-per-line form (as knftables writes it), so that every script is
 * one transaction the kernel commits or rejects whole.
 *
 * Layout of `table ip tsswarm-lb` (kube-proxy's nftables mode, cut down to what VIPs need):
 *
 *   map vips        ipv4_addr : verdict     VIP -> `goto vip-<VIP>`, only VIPs with backends
 *   set refuse      ipv4_addr               VIPs with no backends
 *   chain nat-output      nat hook output priority -100:  `ip daddr vmap @vips`
 *   chain refuse-output   filter hook output priority 0:  reject daddr in @refuse
 *                         (TCP with a reset, anything else with ICMP port unreachable)
 *   chain vip-<VIP>       one rule: `dnat to numgen random mod N map { 0 : B0, ... }`
 *
 * One lookup dispatches every packet whatever the number of VIPs; a VIP's backends live in one
 * rule of its own chain, so changing them is `flush chain` + `add rule` in one transaction and no
 * new connection ever sees a half-written set. DNAT keeps the port and applies to every protocol,
 * which is what "any port, TCP and UDP" needs without a rule per port. Reject is not allowed in
 * nat chains, hence the separate filter chain for empty VIPs: it runs after nat-output, and a VIP
 * in @refuse has no vmap element, so its packets still carry the VIP as destination there.
 * Only the first packet of a flow meets the nat chain; conntrack carries the rest.
 */
import { normalizeVipTable, sameBackends, type NormalVipTable, type VipTable } from './model.js';

export const NFT_FAMILY = 'ip';
export const NFT_TABLE = 'tsswarm-lb';
const T = `${NFT_FAMILY} ${NFT_TABLE}`;

/** The chain that holds one VIP's DNAT rule. Safe as an nft identifier: the VIP was validated. */
export function vipChain(vip: string): string {
  return `vip-${vip}`;
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
    `add set ${T} refuse { type ipv4_addr ; }`,
    `add chain ${T} nat-output { type nat hook output priority -100 ; policy accept ; }`,
    `add rule ${T} nat-output ip daddr vmap @vips`,
    `add chain ${T} refuse-output { type filter hook output priority 0 ; policy accept ; }`,
    `add rule ${T} refuse-output ip daddr @refuse meta l4proto tcp reject with tcp reset`,
    `add rule ${T} refuse-output ip daddr @refuse reject`,
  ];
  const refuse: string[] = [];
  const vmap: string[] = [];
  for (const [vip, backends] of table) {
    if (backends.length === 0) {
      refuse.push(vip);
      continue;
    }
    out.push(`add chain ${T} ${vipChain(vip)}`, dnatRule(vip, backends));
    vmap.push(vmapElement(vip));
  }
  if (refuse.length > 0) out.push(`add element ${T} refuse { ${refuse.join(', ')} }`);
  if (vmap.length > 0) out.push(`add element ${T} vips { ${vmap.join(', ')} }`);
  return out.join('\n') + '\n';
}

/**
 * The difference as one transaction, ordered so every reference is valid when the kernel checks
 * it: new chains before the vmap elements that jump to them, vmap elements deleted before their
 * chains. A chain is flushed before it is deleted because older kernels refuse to delete a chain
 * that still holds rules.
 */
export function renderDiff(prev: NormalVipTable, next: NormalVipTable): string {
  const chains: string[] = [];
  const refuseDel: string[] = [];
  const refuseAdd: string[] = [];
  const vmapDel: string[] = [];
  const vmapAdd: string[] = [];
  const drop: string[] = [];
  for (const [vip, want] of next) {
    const had = prev.get(vip);
    if (had !== undefined && sameBackends(had, want)) continue;
    const hadLive = had !== undefined && had.length > 0;
    const wantLive = want.length > 0;
    if (had !== undefined && !hadLive) refuseDel.push(vip);
    if (!wantLive) refuseAdd.push(vip);
    if (wantLive) {
      chains.push(hadLive ? `flush chain ${T} ${vipChain(vip)}` : `add chain ${T} ${vipChain(vip)}`, dnatRule(vip, want));
      if (!hadLive) vmapAdd.push(vmapElement(vip));
    } else if (hadLive) {
      vmapDel.push(vip);
      drop.push(vip);
    }
  }
  for (const [vip, had] of prev) {
    if (next.has(vip)) continue;
    if (had.length === 0) refuseDel.push(vip);
    else {
      vmapDel.push(vip);
      drop.push(vip);
    }
  }
  const out = [...chains];
  if (refuseDel.length > 0) out.push(`delete element ${T} refuse { ${refuseDel.join(', ')} }`);
  if (refuseAdd.length > 0) out.push(`add element ${T} refuse { ${refuseAdd.join(', ')} }`);
  if (vmapDel.length > 0) out.push(`delete element ${T} vips { ${vmapDel.join(', ')} }`);
  if (vmapAdd.length > 0) out.push(`add element ${T} vips { ${vmapAdd.join(', ')} }`);
  for (const vip of drop) out.push(`flush chain ${T} ${vipChain(vip)}`, `delete chain ${T} ${vipChain(vip)}`);
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

function dnatRule(vip: string, backends: readonly string[]): string {
  const map = backends.map((b, i) => `${i} : ${b}`).join(', ');
  return `add rule ${T} ${vipChain(vip)} dnat to numgen random mod ${backends.length} map { ${map} }`;
}

function vmapElement(vip: string): string {
  return `${vip} : goto ${vipChain(vip)}`;
}
