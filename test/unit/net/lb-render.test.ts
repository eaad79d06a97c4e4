/**
 * The nftables renderer: golden scripts for a full sync and for each kind of change, written out
 * by hand from the table layout in nft-render.ts (not captured from the renderer's own output).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dottedQuad } from '../../../src/net/lb/model.js';
import { diff, fullSync, normalizeVipTable, removeScript, type VipTable } from '../../../src/net/lb/index.js';
import { isUserError } from '../../../src/util/errors.js';

const HEAD = `add table ip tsswarm-lb
delete table ip tsswarm-lb
add table ip tsswarm-lb
add map ip tsswarm-lb vips { type ipv4_addr : verdict ; }
add map ip tsswarm-lb backends { typeof ip daddr . numgen random mod 1 : ip daddr ; }
add set ip tsswarm-lb refuse { type ipv4_addr ; }
add chain ip tsswarm-lb nat-output { type nat hook output priority -100 ; policy accept ; }
add rule ip tsswarm-lb nat-output ip daddr vmap @vips
add chain ip tsswarm-lb refuse-output { type filter hook output priority 0 ; policy accept ; }
add rule ip tsswarm-lb refuse-output ct state new ip daddr @refuse meta l4proto tcp reject with tcp reset
add rule ip tsswarm-lb refuse-output ct state new ip daddr @refuse reject
`;

const base: VipTable = {
  vips: [
    { vip: '10.0.9.250', backends: ['10.0.9.4', '10.0.9.3'] },
    { vip: '10.0.1.250', backends: ['10.0.1.12', '10.0.1.3', '10.0.1.2'] },
  ],
};

describe('nftables renderer', () => {
  it('renders a full sync: base table, one chain per backend count, sorted backend and vmap batches', () => {
    expect(fullSync(base)).toBe(
      HEAD +
        `add chain ip tsswarm-lb mod-2
add rule ip tsswarm-lb mod-2 dnat to ip daddr . numgen random mod 2 map @backends
add chain ip tsswarm-lb mod-3
add rule ip tsswarm-lb mod-3 dnat to ip daddr . numgen random mod 3 map @backends
add element ip tsswarm-lb backends { 10.0.1.250 . 0 : 10.0.1.2, 10.0.1.250 . 1 : 10.0.1.3, 10.0.1.250 . 2 : 10.0.1.12, 10.0.9.250 . 0 : 10.0.9.3, 10.0.9.250 . 1 : 10.0.9.4 }
add element ip tsswarm-lb vips { 10.0.1.250 : goto mod-3, 10.0.9.250 : goto mod-2 }
`,
    );
  });

  it('renders an empty table as the base table alone', () => {
    expect(fullSync({ vips: [] })).toBe(HEAD);
  });

  it('puts a VIP without backends in the refuse set, with no chain', () => {
    expect(fullSync({ vips: [{ vip: '10.0.1.250', backends: [] }, { vip: '10.0.1.251', backends: ['10.0.1.5'] }] })).toBe(
      HEAD +
        `add chain ip tsswarm-lb mod-1
add rule ip tsswarm-lb mod-1 dnat to ip daddr . numgen random mod 1 map @backends
add element ip tsswarm-lb refuse { 10.0.1.250 }
add element ip tsswarm-lb backends { 10.0.1.251 . 0 : 10.0.1.5 }
add element ip tsswarm-lb vips { 10.0.1.251 : goto mod-1 }
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

  it('adds a VIP: a chain for a new backend count before the vmap element that jumps to it', () => {
    const next: VipTable = { vips: [...base.vips, { vip: '10.0.5.250', backends: ['10.0.5.7'] }] };
    expect(diff(base, next)).toBe(`add chain ip tsswarm-lb mod-1
add rule ip tsswarm-lb mod-1 dnat to ip daddr . numgen random mod 1 map @backends
add element ip tsswarm-lb backends { 10.0.5.250 . 0 : 10.0.5.7 }
add element ip tsswarm-lb vips { 10.0.5.250 : goto mod-1 }
`);
    // A count already in use needs no chain.
    const two: VipTable = { vips: [...base.vips, { vip: '10.0.5.250', backends: ['10.0.5.8', '10.0.5.7'] }] };
    expect(diff(base, two)).toBe(`add element ip tsswarm-lb backends { 10.0.5.250 . 0 : 10.0.5.7, 10.0.5.250 . 1 : 10.0.5.8 }
add element ip tsswarm-lb vips { 10.0.5.250 : goto mod-2 }
`);
  });

  it('changes backends: replaced indexes deleted then added, the vmap element moved when the count changes', () => {
    const next: VipTable = { vips: [base.vips[0]!, { vip: '10.0.1.250', backends: ['10.0.1.2', '10.0.1.12', '10.0.1.40', '10.0.1.41'] }] };
    expect(diff(base, next)).toBe(`add chain ip tsswarm-lb mod-4
add rule ip tsswarm-lb mod-4 dnat to ip daddr . numgen random mod 4 map @backends
delete element ip tsswarm-lb backends { 10.0.1.250 . 1, 10.0.1.250 . 2 }
add element ip tsswarm-lb backends { 10.0.1.250 . 1 : 10.0.1.12, 10.0.1.250 . 2 : 10.0.1.40, 10.0.1.250 . 3 : 10.0.1.41 }
delete element ip tsswarm-lb vips { 10.0.1.250 }
add element ip tsswarm-lb vips { 10.0.1.250 : goto mod-4 }
flush chain ip tsswarm-lb mod-3
delete chain ip tsswarm-lb mod-3
`);
    // Same count: elements only.
    const same: VipTable = { vips: [base.vips[0]!, { vip: '10.0.1.250', backends: ['10.0.1.2', '10.0.1.3', '10.0.1.13'] }] };
    expect(diff(base, same)).toBe(`delete element ip tsswarm-lb backends { 10.0.1.250 . 2 }
add element ip tsswarm-lb backends { 10.0.1.250 . 2 : 10.0.1.13 }
`);
  });

  it('removes a VIP: its elements and vmap element, then the chain no VIP uses (flushed, deleted)', () => {
    expect(diff(base, { vips: [base.vips[0]!] })).toBe(`delete element ip tsswarm-lb backends { 10.0.1.250 . 0, 10.0.1.250 . 1, 10.0.1.250 . 2 }
delete element ip tsswarm-lb vips { 10.0.1.250 }
flush chain ip tsswarm-lb mod-3
delete chain ip tsswarm-lb mod-3
`);
  });

  it('empties a VIP: it moves from the vmap to the refuse set', () => {
    const next: VipTable = { vips: [base.vips[0]!, { vip: '10.0.1.250', backends: [] }] };
    expect(diff(base, next)).toBe(`delete element ip tsswarm-lb backends { 10.0.1.250 . 0, 10.0.1.250 . 1, 10.0.1.250 . 2 }
add element ip tsswarm-lb refuse { 10.0.1.250 }
delete element ip tsswarm-lb vips { 10.0.1.250 }
flush chain ip tsswarm-lb mod-3
delete chain ip tsswarm-lb mod-3
`);
  });

  it('refills an empty VIP and drops a refusing one', () => {
    const prev: VipTable = { vips: [{ vip: '10.0.1.250', backends: [] }, { vip: '10.0.1.251', backends: [] }] };
    const next: VipTable = { vips: [{ vip: '10.0.1.250', backends: ['10.0.1.9'] }] };
    expect(diff(prev, next)).toBe(`add chain ip tsswarm-lb mod-1
add rule ip tsswarm-lb mod-1 dnat to ip daddr . numgen random mod 1 map @backends
add element ip tsswarm-lb backends { 10.0.1.250 . 0 : 10.0.1.9 }
delete element ip tsswarm-lb refuse { 10.0.1.250, 10.0.1.251 }
add element ip tsswarm-lb vips { 10.0.1.250 : goto mod-1 }
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

  it('parses dotted quads exactly as the strict pattern does (hand-written parser vs a regex oracle)', () => {
    const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
    const oracle = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
    const expected = (s: string) => {
      const m = oracle.exec(s);
      return m ? m.slice(1).reduce((n, p) => n * 256 + Number(p), 0) : -1;
    };
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9]{0,4}$/), fc.constantFrom('', '-1', '1e1', ' 1', '0x1', '٣'));
    const candidate = fc.oneof(fc.array(part, { minLength: 1, maxLength: 5 }).map((ps) => ps.join('.')), fc.string({ maxLength: 16 }));
    fc.assert(fc.property(candidate, (s) => {
      expect(dottedQuad(s), s).toBe(expected(s));
    }), { numRuns: 5000 });
    for (const [s, n] of [['0.0.0.0', 0], ['255.255.255.255', 0xffffffff], ['10.0.1.250', 0x0a0001fa]] as const) expect(dottedQuad(s)).toBe(n);
    for (const s of ['01.0.0.1', '1.2.3', '1.2.3.4.', '.1.2.3', '1..2.3', '256.0.0.1', '1.2.3.4 ']) expect(dottedQuad(s)).toBe(-1);
  });

  it('normalises like the plain definition: VIPs and backends in numeric order, duplicates once, whatever the input order', () => {
    const num = (ip: string) => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
    const ip = fc.tuple(fc.constantFrom(10, 172), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 40 })).map(([a, b, c]) => `${a}.0.${b}.${c}`);
    const entries = fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 30 }).map((n) => `10.9.0.${n}`), fc.array(ip, { maxLength: 12 })), { selector: ([vip]) => vip, maxLength: 8 });
    fc.assert(
      fc.property(entries, (es) => {
        const got = normalizeVipTable({ vips: es.map(([vip, backends]) => ({ vip, backends })) });
        const want = [...es].sort(([a], [b]) => num(a) - num(b)).map(([vip, bs]) => [vip, [...new Set(bs)].sort((a, b) => num(a) - num(b))]);
        expect([...got]).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});
