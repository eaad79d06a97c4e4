/**
 * The IPVS backend (this kernel has none, so text and ordering only) and backend detection,
 * injected and for real on this machine.
 */
import { describe, expect, it } from 'vitest';
import {
  IpvsLbBackend,
  detectLbBackend,
  normalizeVipTable,
  procIpvsProbe,
  renderIpvsDiff,
  renderIpvsFull,
  renderIpvsMarksDiff,
  renderIpvsMarksFull,
  vipMark,
  type CommandRunner,
  type VipTable,
} from '../../../src/net/lb/index.js';

const n = (vips: Record<string, string[]>) => normalizeVipTable({ vips: Object.entries(vips).map(([vip, backends]) => ({ vip, backends })) });

describe('IPVS rendering', () => {
  it('derives the firewall mark from the VIP address', () => {
    expect(vipMark('10.0.1.250')).toBe(0x0a0001fa);
    expect(vipMark('255.255.255.254')).toBe(0xfffffffe);
  });

  it('renders ipvsadm-restore text: fwmark services in masquerade mode, no service for an empty VIP', () => {
    expect(renderIpvsFull(n({ '10.0.1.250': ['10.0.1.3', '10.0.1.2'], '10.0.1.251': [] }))).toBe(`-C
-A -f 167772666 -s rr
-a -f 167772666 -r 10.0.1.2 -m -w 1
-a -f 167772666 -r 10.0.1.3 -m -w 1
`);
  });

  it('renders the mark table with the refuse set', () => {
    expect(renderIpvsMarksFull(n({ '10.0.1.250': ['10.0.1.2'], '10.0.1.251': [] }))).toBe(`add table ip tsswarm-ipvs
delete table ip tsswarm-ipvs
add table ip tsswarm-ipvs
add map ip tsswarm-ipvs marks { type ipv4_addr : mark ; }
add set ip tsswarm-ipvs refuse { type ipv4_addr ; }
add chain ip tsswarm-ipvs mark-output { type route hook output priority -150 ; policy accept ; }
add rule ip tsswarm-ipvs mark-output meta mark set ip daddr map @marks
add chain ip tsswarm-ipvs refuse-output { type filter hook output priority 0 ; policy accept ; }
add rule ip tsswarm-ipvs refuse-output ip daddr @refuse meta l4proto tcp reject with tcp reset
add rule ip tsswarm-ipvs refuse-output ip daddr @refuse reject
add element ip tsswarm-ipvs refuse { 10.0.1.251 }
add element ip tsswarm-ipvs marks { 10.0.1.250 : 0x0a0001fa }
`);
  });

  it('diffs: real servers added/removed before the marks change, services deleted after', () => {
    const prev = n({ '10.0.1.250': ['10.0.1.2', '10.0.1.3'], '10.0.1.251': ['10.0.1.7'], '10.0.1.252': [] });
    const next = n({ '10.0.1.250': ['10.0.1.3', '10.0.1.4'], '10.0.1.252': ['10.0.1.9'], '10.0.1.253': [] });
    expect(renderIpvsDiff(prev, next)).toEqual({
      before: `-a -f 167772666 -r 10.0.1.4 -m -w 1
-d -f 167772666 -r 10.0.1.2
-A -f 167772668 -s rr
-a -f 167772668 -r 10.0.1.9 -m -w 1
`,
      after: '-D -f 167772667\n',
    });
    expect(renderIpvsMarksDiff(prev, next)).toBe(`delete element ip tsswarm-ipvs marks { 10.0.1.251 }
delete element ip tsswarm-ipvs refuse { 10.0.1.252 }
add element ip tsswarm-ipvs refuse { 10.0.1.253 }
add element ip tsswarm-ipvs marks { 10.0.1.252 : 0x0a0001fc }
`);
    expect(renderIpvsDiff(next, next)).toEqual({ before: '', after: '' });
    expect(renderIpvsMarksDiff(next, next)).toBe('');
  });
});

describe('IpvsLbBackend (fake runner)', () => {
  it('runs sysctl, restore and marks on the first sync, then the ordered difference, then nothing', async () => {
    const calls: string[] = [];
    let failRestore = false;
    const run: CommandRunner = async (argv, stdin) => {
      calls.push(`${argv.slice(2).join(' ')}${stdin ? ` <<${stdin.split('\n')[0]}` : ''}`);
      if (failRestore && argv[2] === 'ipvsadm-restore') {
        failRestore = false;
        return { code: 1, stdout: '', stderr: 'Memory allocation problem\n' };
      }
      return { code: 0, stdout: '', stderr: '' };
    };
    const lb = new IpvsLbBackend({ run, identity: async () => 'ns' });
    const a: VipTable = { vips: [{ vip: '10.0.1.250', backends: ['10.0.1.2'] }] };
    const b: VipTable = { vips: [{ vip: '10.0.1.251', backends: ['10.0.1.3'] }] };
    expect((await lb.sync('/ns', a)).mode).toBe('full');
    expect(calls).toEqual([
      'sysctl -q -w net.ipv4.vs.expire_nodest_conn=1',
      'ipvsadm-restore <<-C',
      'nft -f - <<add table ip tsswarm-ipvs',
    ]);
    calls.length = 0;
    expect((await lb.sync('/ns', b)).mode).toBe('partial');
    expect(calls).toEqual([
      'ipvsadm-restore <<-A -f 167772667 -s rr',
      'nft -f - <<delete element ip tsswarm-ipvs marks { 10.0.1.250 }',
      'ipvsadm-restore <<-D -f 167772666',
    ]);
    expect((await lb.sync('/ns', b)).mode).toBe('none');
    failRestore = true;
    const r = await lb.sync('/ns', a);
    expect(r.mode).toBe('full');
    expect(r.fullReason).toMatch(/lb ipvs in \/ns failed: Memory allocation problem/);
    calls.length = 0;
    await lb.remove('/ns');
    expect(calls).toEqual(['nft -f - <<add table ip tsswarm-ipvs', 'ipvsadm -C']);
  });
});

describe('detectLbBackend', () => {
  it('answers ipvs when the probe finds IPVS, nftables otherwise', async () => {
    expect(await detectLbBackend(async () => true)).toBe('ipvs');
    expect(await detectLbBackend(async () => false)).toBe('nftables');
  });

  it('detects nftables on this machine (its kernel has no IPVS)', async () => {
    expect(await procIpvsProbe()).toBe(false);
    expect(await detectLbBackend()).toBe('nftables');
  });
});
