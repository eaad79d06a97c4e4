/** Upstream address parsing and the host's resolv.conf nameservers. */
import { describe, expect, it } from 'vitest';
import { hostResolvers, parseUpstream } from '../../../src/net/dns/upstreams.js';
import { DnsConfigError } from '../../../src/net/dns/errors.js';

describe('parseUpstream', () => {
  it('reads IPv4 and IPv6 with and without a port', () => {
    expect(parseUpstream('10.0.0.2')).toEqual({ address: '10.0.0.2', port: 53, family: 4 });
    expect(parseUpstream('127.0.0.1:5353')).toEqual({ address: '127.0.0.1', port: 5353, family: 4 });
    expect(parseUpstream('fd00::1')).toEqual({ address: 'fd00::1', port: 53, family: 6 });
    expect(parseUpstream('[::1]:5300')).toEqual({ address: '::1', port: 5300, family: 6 });
  });
  it('refuses names, bad ports and short IPv4 forms', () => {
    expect(() => parseUpstream('dns.example')).toThrow(DnsConfigError);
    expect(() => parseUpstream('10.0.0.2:0')).toThrow(/port/);
    expect(() => parseUpstream('10.0.0.2:x')).toThrow(/port/);
    expect(() => parseUpstream('10.1')).toThrow(/not an IP/);
  });
});

describe('hostResolvers', () => {
  const conf = [
    '# generated',
    'search example.internal',
    'nameserver 10.255.255.53',
    'nameserver 127.0.0.53 ; the stub',
    'nameserver fe80::1%eth0',
    'nameserver ::1',
    'nameserver not-an-ip',
    'nameserver 10.255.255.53',
    'options ndots:0',
  ].join('\n');
  it('skips zone-indexed entries and keeps loopback nameservers by default (we forward from the host netns, where the stub lives)', () => {
    expect(hostResolvers(conf)).toEqual(['10.255.255.53', '127.0.0.53', '[::1]:53']);
  });
  it('drops loopback nameservers when asked (a resolver in another netns)', () => {
    expect(hostResolvers(conf, { loopback: false })).toEqual(['10.255.255.53']);
  });
  it('returns nothing for a file without nameservers', () => {
    expect(hostResolvers('search x\n')).toEqual([]);
  });
  it('gives strings parseUpstream accepts', () => {
    for (const u of hostResolvers(conf)) expect(() => parseUpstream(u)).not.toThrow();
  });
});
