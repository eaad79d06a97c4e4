import { describe, expect, it } from 'vitest';
import { IngressInputError, renderHostTable, renderReplyTable, replyEntries, replyMark, replyRouteBatch } from '../../../src/net/ingress/index.js';
import { macForIp } from '../../../src/net/overlay/index.js';

describe('ingress: the entry table', () => {
  it('dispatches each published port to its chain, marks and DNATs to the backends on the target port, leaves out ports without backends', () => {
    const s = renderHostTable({
      shim: 'tsgw-1',
      ports: [
        { protocol: 'udp', port: 53, target: 5353, snat: true, backends: ['10.0.0.9'] },
        { protocol: 'tcp', port: 8080, target: 80, snat: false, backends: ['10.0.0.10', '10.0.0.9', '10.0.0.9'] },
        { protocol: 'tcp', port: 9000, target: 90, snat: false, backends: [] },
      ],
    });
    expect(s).toContain('add rule ip tsswarm-ingress prerouting fib daddr type local meta l4proto . th dport vmap @ports');
    expect(s).toContain('add rule ip tsswarm-ingress p-tcp-8080 ct mark set ct mark | 0x10000000');
    expect(s).toContain('dnat ip to numgen random mod 2 map { 0 : 10.0.0.9 . 80, 1 : 10.0.0.10 . 80 }');
    expect(s).toContain('add rule ip tsswarm-ingress p-udp-53 ct mark set ct mark | 0x30000000');
    expect(s).toContain('oifname "tsgw-1" masquerade');
    expect(s).toContain('add element ip tsswarm-ingress ports { tcp . 8080 : goto p-tcp-8080, udp . 53 : goto p-udp-53 }');
    expect(s).not.toContain('9000');
    // Order of ports and backends does not change the text.
    expect(renderHostTable({ shim: 'tsgw-1', ports: [{ protocol: 'tcp', port: 8080, target: 80, snat: false, backends: ['10.0.0.10', '10.0.0.9'] }] })).toBe(
      renderHostTable({ shim: 'tsgw-1', ports: [{ protocol: 'tcp', port: 8080, target: 80, snat: false, backends: ['10.0.0.9', '10.0.0.10'] }] }),
    );
  });

  it('refuses what it cannot paste into nft: bad ports, addresses, names, a port listed twice', () => {
    const p = { protocol: 'tcp' as const, port: 8080, target: 80, snat: false, backends: ['10.0.0.9'] };
    expect(() => renderHostTable({ shim: 'x; flush ruleset', ports: [] })).toThrow(IngressInputError);
    expect(() => renderHostTable({ shim: 'g', ports: [{ ...p, port: 0 }] })).toThrow(/ports\[0\]\.port: 0 is not a port/);
    expect(() => renderHostTable({ shim: 'g', ports: [{ ...p, backends: ['10.0.0.256'] }] })).toThrow(/backends\[0\]/);
    expect(() => renderHostTable({ shim: 'g', ports: [p, p] })).toThrow(/tcp\/8080 is listed twice/);
  });
});

describe('ingress: reply routing in a backend', () => {
  it('maps each entry node by its shim MAC to a mark and a table of its own, with a fallback route last', () => {
    const e = replyEntries({ iface: 'eth1', gateways: ['10.255.1.3', '10.255.0.2'], self: '10.255.0.2' }, macForIp);
    expect(e).toEqual([
      { mac: '02:42:0a:ff:00:02', gateway: '10.255.0.2', mark: 0x10002 },
      { mac: '02:42:0a:ff:01:03', gateway: '10.255.1.3', mark: replyMark('10.255.1.3') },
    ]);
    const t = renderReplyTable('eth1', e);
    expect(t).toContain('iifname "eth1" ct state new ct mark set ether saddr map @entry');
    expect(t).toContain('add element ip tsswarm-ingress entry { 02:42:0a:ff:00:02 : 0x10002, 02:42:0a:ff:01:03 : 0x10103 }');
    const b = replyRouteBatch('eth1', '10.255.0.2', e, [{ priority: 10000, fwmark: '0x10002', table: '65538' }, { priority: 10000, fwmark: '0x10009', table: '65545' }]);
    expect(b.split('\n').filter(Boolean)).toEqual([
      'route replace default via 10.255.0.2 dev eth1 table 65538',
      'route replace default via 10.255.1.3 dev eth1 table 65795',
      'route replace default via 10.255.0.2 dev eth1 table 65535',
      'rule add pref 10000 fwmark 0x10103 table 65795',
      'rule add pref 32800 table 65535',
      'rule del pref 10000 fwmark 0x10009 table 65545',
      'route flush table 65545',
    ]);
  });

  it('refuses two entry nodes whose marks would collide (an ingress subnet larger than /16)', () => {
    expect(() => replyEntries({ iface: 'eth1', gateways: ['10.1.0.2', '10.2.0.2'], self: '10.1.0.2' }, macForIp)).toThrow(/share their low 16 bits/);
  });
});
