/**
 * The VXLAN firewall: one nftables table in the host's netns that accepts UDP to the VXLAN ports
 * only from cluster nodes and drops (and counts) the rest. VXLAN has no authentication, so without
 * it anyone who can reach the port can inject frames into any overlay. Its second chain keeps the
 * host from routing into or out of an overlay through a shim (tsgw-*): the host is an endpoint on
 * each overlay (DNS), never a router between them or to the outside, so overlays stay isolated
 * and `--internal` ones have no way out whatever routes a task has. Only connections the ingress
 * mesh DNATed into the ingress overlay (marked on entry, src/net/ingress) pass that chain.
 *
 * Pure: renders the table and plans the difference. The sets change as nodes come and go and are
 * patched element by element; the chain and rules never change, and if what is listed is not
 * exactly ours (someone flushed the chain, an older version's rules) the table is rebuilt whole in
 * one atomic `nft -f` transaction, so there is no moment without the filter.
 */
import { INGRESS_CT_MARK, hex } from '../ingress/marks.js';
import { SHIM_PREFIX } from './names.js';
import type { FirewallShape } from './parse.js';
import type { ObservedFirewall, OverlayCommand } from './types.js';

export const FIREWALL: FirewallShape = {
  table: 'tsswarm_overlay',
  chains: [
    // Before the usual filter chains (0), so our drop counts every foreign packet, and a drop here
    // is final whatever iptables' chains would have accepted.
    { name: 'input', hook: 'input', priority: -10, rules: ['tsswarm-allow', 'tsswarm-drop'] },
    { name: 'forward', hook: 'forward', priority: -10, rules: ['tsswarm-ingress', 'tsswarm-no-route-out', 'tsswarm-no-route-in'] },
  ],
  vtepSet: 'vteps',
  portSet: 'ports',
};

const RULES: Record<string, string> = {
  'tsswarm-allow': `udp dport @${FIREWALL.portSet} ip saddr @${FIREWALL.vtepSet} accept`,
  'tsswarm-drop': `udp dport @${FIREWALL.portSet} counter drop`,
  // The one exception: connections the ingress mesh DNATed to a backend (and their replies).
  'tsswarm-ingress': `ct mark & ${hex(INGRESS_CT_MARK)} == ${hex(INGRESS_CT_MARK)} accept`,
  'tsswarm-no-route-out': `iifname "${SHIM_PREFIX}*" counter drop`,
  'tsswarm-no-route-in': `oifname "${SHIM_PREFIX}*" counter drop`,
};

const FAMILY = 'inet';

function elems(values: readonly (string | number)[]): string {
  return `{ ${values.join(', ')} }`;
}

/** The whole table as an `nft -f` script that replaces any table of that name atomically. */
export function renderFirewall(vteps: readonly string[], ports: readonly number[]): string {
  const f = FIREWALL;
  const set = (name: string, type: string, values: readonly (string | number)[]): string =>
    `  set ${name} { type ${type};${values.length > 0 ? ` elements = ${elems(values)};` : ''} }\n`;
  return (
    // `table` first creates it if absent, so the `delete` never fails; all three are one transaction.
    `table ${FAMILY} ${f.table}\n` +
    `delete table ${FAMILY} ${f.table}\n` +
    `table ${FAMILY} ${f.table} {\n` +
    set(f.vtepSet, 'ipv4_addr', vteps) +
    set(f.portSet, 'inet_service', ports) +
    f.chains
      .map(
        (c) =>
          `  chain ${c.name} {\n` +
          `    type filter hook ${c.hook} priority ${c.priority}; policy accept;\n` +
          c.rules.map((r) => `    ${RULES[r]!} comment "${r}"\n`).join('') +
          `  }\n`,
      )
      .join('') +
    `}\n`
  );
}

function nft(input: string): OverlayCommand {
  return { argv: ['nft', '-f', '-'], input, subject: `nft table ${FAMILY} ${FIREWALL.table}` };
}

/** Commands that make the table hold exactly these VTEPs and ports (none when it already does). */
export function planFirewall(vteps: readonly string[], ports: readonly number[], observed: ObservedFirewall | undefined): OverlayCommand[] {
  if (observed === undefined || !observed.intact) return [nft(renderFirewall(vteps, ports))];
  const lines: string[] = [];
  const diff = <T extends string | number>(set: string, want: readonly T[], have: readonly T[]): void => {
    const add = want.filter((x) => !have.includes(x));
    const del = have.filter((x) => !want.includes(x));
    // Additions first: a node that replaces another is never refused in between.
    if (add.length > 0) lines.push(`add element ${FAMILY} ${FIREWALL.table} ${set} ${elems(add)}`);
    if (del.length > 0) lines.push(`delete element ${FAMILY} ${FIREWALL.table} ${set} ${elems(del)}`);
  };
  diff(FIREWALL.portSet, ports, observed.ports);
  diff(FIREWALL.vtepSet, vteps, observed.vteps);
  return lines.length === 0 ? [] : [nft(lines.join('\n') + '\n')];
}

/** Removes the table (teardown). */
export function firewallTeardown(): OverlayCommand {
  return { argv: ['nft', 'delete', 'table', FAMILY, FIREWALL.table], subject: `nft table ${FAMILY} ${FIREWALL.table}` };
}
