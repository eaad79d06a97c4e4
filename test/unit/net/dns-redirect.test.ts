import { describe, expect, it } from 'vitest';
import { DnsRedirector, dnsRedirectScript, removeDnsRedirectScript } from '../../../src/net/dns/index.js';

describe('DNS redirect of a standalone container to this host\'s resolver', () => {
  it('rebuilds one table in one transaction: every non-loopback port-53 query, UDP and TCP, to the resolver, from the overlay address', () => {
    expect(dnsRedirectScript('10.40.0.1')).toBe(
      [
        'add table ip tsswarm-dns',
        'delete table ip tsswarm-dns',
        'add table ip tsswarm-dns',
        'add chain ip tsswarm-dns nat-output { type nat hook output priority -100 ; policy accept ; }',
        'add rule ip tsswarm-dns nat-output ip daddr != 127.0.0.0/8 udp dport 53 dnat to 10.40.0.1',
        'add rule ip tsswarm-dns nat-output ip daddr != 127.0.0.0/8 tcp dport 53 dnat to 10.40.0.1',
        'add chain ip tsswarm-dns nat-postrouting { type nat hook postrouting priority 100 ; policy accept ; }',
        'add rule ip tsswarm-dns nat-postrouting ip daddr 10.40.0.1 udp dport 53 masquerade',
        'add rule ip tsswarm-dns nat-postrouting ip daddr 10.40.0.1 tcp dport 53 masquerade',
        '',
      ].join('\n'),
    );
    expect(removeDnsRedirectScript()).toBe('add table ip tsswarm-dns\ndelete table ip tsswarm-dns\n');
  });

  it('pastes nothing but a dotted quad into nft text', () => {
    expect(() => dnsRedirectScript('10.40.0.1; flush ruleset')).toThrow(/not an IPv4 address/);
    expect(() => dnsRedirectScript('fd00::1')).toThrow(/not an IPv4 address/);
  });

  it('runs nft inside the namespace; a failure names the namespace and says what nft said; a vanished one is removed already', async () => {
    const ran: Array<{ argv: readonly string[]; stdin?: string }> = [];
    let answer = { code: 0 as number | null, stdout: '', stderr: '' };
    const r = new DnsRedirector(async (argv, stdin) => {
      ran.push({ argv, stdin });
      return answer;
    });
    await r.apply('/proc/42/ns/net', '10.40.0.1');
    expect(ran[0]).toEqual({ argv: ['nsenter', '--net=/proc/42/ns/net', 'nft', '-f', '-'], stdin: dnsRedirectScript('10.40.0.1') });
    answer = { code: 1, stdout: '', stderr: 'Error: Could not process rule: Operation not permitted\n' };
    await expect(r.apply('/proc/42/ns/net', '10.40.0.1')).rejects.toThrow('DNS redirect (apply) in /proc/42/ns/net: nft exited 1: Error: Could not process rule: Operation not permitted');
    answer = { code: 1, stdout: '', stderr: "nsenter: cannot open /proc/42/ns/net: No such file or directory\n" };
    await expect(r.remove('/proc/42/ns/net')).resolves.toBeUndefined();
  });
});
