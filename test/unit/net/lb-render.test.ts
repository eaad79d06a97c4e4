/**
 * The nftables renderer: golden scripts for a full sync and for each kind of change, written out
 * by hand from the table layout in nft-render.ts (not captured from the renderer's own output).
 */
import { describe, expect, it } from 'vitest';
import { diff, fullSync, normalizeVipTable, removeScript, type VipTable } from '../../../src/net/lb/index.js';
import { isUserError } from '../../../src/util/errors.js';

const HEAD = `add table ip tsswarm-lb
delete table ip tsswarm-lb
add table ip tsswarm-lb
add map ip tsswarm-lb vips { type ipv4_addr : verdict ; }
add set ip tsswarm-lb refuse { type ipv4_addr ; }
add chain ip tsswarm-lb nat-output { type nat hook output priority -100 ; policy accept ; }
add rule ip tsswarm-lb nat-output ip daddr vmap @vips
add chain ip tsswarm-lb refuse-output { type filter hook output priority 0 ; policy accept ; }
add rule ip tsswarm-lb refuse-output ip daddr @refuse meta l4proto tcp reject with tcp reset
add rule ip tsswarm-lb refuse-output ip daddr @refuse reject
`;

const base: VipTable = {
  vips: [
    { vip: '10.0.9.250', backends: ['10.0.9.4', '10.0.9.3'] },
    { vip: '10.0.1.250', backends: ['10.0.1.12', '10.0.1.3', '10.0.1.2'] },
  ],
};

describe('nftables renderer', () => {
  it('renders a full sync: base table, one chain per VIP, sorted, one vmap batch', () => {
    expect(fullSync(base)).toBe(
      HEAD +
        `add chain ip tsswarm-lb vip-10.0.1.250
add rule ip tsswarm-lb vip-10.0.1.250 dnat to numgen random mod 3 map { 0 : 10.0.1.2, 1 : 10.0.1.3, 2 : 10.0.1.12 }
add chain ip tsswarm-lb vip-10.0.9.250
add rule ip tsswarm-lb vip-10.0.9.250 dnat to numgen random mod 2 map { 0 : 10.0.9.3, 1 : 10.0.9.4 }
add element ip tsswarm-lb vips { 10.0.1.250 : goto vip-10.0.1.250, 10.0.9.250 : goto vip-10.0.9.250 }
`,
    );
  });

  it('renders an empty table as the base table alone', () => {
    expect(fullSync({ vips: [] })).toBe(HEAD);
  });

  it('puts a VIP without backends in the refuse set, with no chain', () => {
    expect(fullSync({ vips: [{ vip: '10.0.1.250', backends: [] }, { vip: '10.0.1.251', backends: ['10.0.1.5'] }] })).toBe(
      HEAD +
        `add chain ip tsswarm-lb vip-10.0.1.251
add rule ip tsswarm-lb vip-10.0.1.251 dnat to numgen random mod 1 map { 0 : 10.0.1.5 }
add element ip tsswarm-lb refuse { 10.0.1.250 }
add element ip tsswarm-lb vips { 10.0.1.251 : goto vip-10.0.1.251 }
`,
    );
  });

  it('diffs identical tables (in any order, with duplicates) to nothing', () => {
    const shuffled: VipTable = {
      vips: [
        { vip: '10.0.1.250', backends: ['10.0.1.2', '10.0.1.12', '10.0.1.3', '10.0.1.2'] },
        { vip: '10.0.9.250', backends: ['10.0.9.3', '10.0.9.4'] },
      ],
    };
    expect(diff(base, shuffled)).toBe('');
    expect(diff({ vips: [] }, { vips: [] })).toBe('');
  });

  it('adds a VIP: its chain and rule before the vmap element that jumps to it', () => {
    const next: VipTable = { vips: [...base.vips, { vip: '10.0.5.250', backends: ['10.0.5.7'] }] };
    expect(diff(base, next)).toBe(`add chain ip tsswarm-lb vip-10.0.5.250
add rule ip tsswarm-lb vip-10.0.5.250 dnat to numgen random mod 1 map { 0 : 10.0.5.7 }
add element ip tsswarm-lb vips { 10.0.5.250 : goto vip-10.0.5.250 }
`);
  });

  it('changes backends by replacing the one rule of that VIP chain', () => {
    const next: VipTable = { vips: [base.vips[0]!, { vip: '10.0.1.250', backends: ['10.0.1.2', '10.0.1.12', '10.0.1.40', '10.0.1.41'] }] };
    expect(diff(base, next)).toBe(`flush chain ip tsswarm-lb vip-10.0.1.250
add rule ip tsswarm-lb vip-10.0.1.250 dnat to numgen random mod 4 map { 0 : 10.0.1.2, 1 : 10.0.1.12, 2 : 10.0.1.40, 3 : 10.0.1.41 }
`);
  });

  it('removes a VIP: vmap element first, then its chain (flushed, deleted)', () => {
    expect(diff(base, { vips: [base.vips[0]!] })).toBe(`delete element ip tsswarm-lb vips { 10.0.1.250 }
flush chain ip tsswarm-lb vip-10.0.1.250
delete chain ip tsswarm-lb vip-10.0.1.250
`);
  });

  it('empties a VIP: it moves from the vmap to the refuse set, its chain goes', () => {
    const next: VipTable = { vips: [base.vips[0]!, { vip: '10.0.1.250', backends: [] }] };
    expect(diff(base, next)).toBe(`add element ip tsswarm-lb refuse { 10.0.1.250 }
delete element ip tsswarm-lb vips { 10.0.1.250 }
flush chain ip tsswarm-lb vip-10.0.1.250
delete chain ip tsswarm-lb vip-10.0.1.250
`);
  });

  it('refills an empty VIP and drops a refusing one', () => {
    const prev: VipTable = { vips: [{ vip: '10.0.1.250', backends: [] }, { vip: '10.0.1.251', backends: [] }] };
    const next: VipTable = { vips: [{ vip: '10.0.1.250', backends: ['10.0.1.9'] }] };
    expect(diff(prev, next)).toBe(`add chain ip tsswarm-lb vip-10.0.1.250
add rule ip tsswarm-lb vip-10.0.1.250 dnat to numgen random mod 1 map { 0 : 10.0.1.9 }
delete element ip tsswarm-lb refuse { 10.0.1.250, 10.0.1.251 }
add element ip tsswarm-lb vips { 10.0.1.250 : goto vip-10.0.1.250 }
`);
  });

  it('removes the table idempotently', () => {
    expect(removeScript()).toBe('add table ip tsswarm-lb\ndelete table ip tsswarm-lb\n');
  });

  it('refuses addresses that are not plain IPv4 before rendering anything', () => {
    for (const bad of ['10.0.0.1; flush ruleset', '010.0.0.1', '10.0.0', 'fd00::1', '0.0.0.0', '224.0.0.1', ' 10.0.0.1']) {
      let err: unknown;
      try {
        fullSync({ vips: [{ vip: bad, backends: [] }] });
      } catch (e) {
        err = e;
      }
      expect(isUserError(err), bad).toBe(true);
      expect(String((err as Error).message)).toContain('vips[0].vip');
    }
    expect(() => fullSync({ vips: [{ vip: '10.0.0.1', backends: ['10.0.0.2 } ; delete table ip x'] }] })).toThrow(/vips\[0\]\.backends\[0\]/);
    expect(() => normalizeVipTable({ vips: [{ vip: '10.0.0.1', backends: [] }, { vip: '10.0.0.1', backends: [] }] })).toThrow(/listed twice/);
    expect(() => normalizeVipTable({ vips: [{ vip: '10.0.0.1', backends: ['10.0.0.1'] }] })).toThrow(/VIP itself/);
  });
});
