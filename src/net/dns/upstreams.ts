/**
 * Where names that are not ours go: parsing upstream addresses and the host's resolv.conf. Pure.
 */
import ipaddr from 'ipaddr.js';
import { DnsConfigError } from './errors.js';

export interface Upstream {
  address: string;
  port: number;
  family: 4 | 6;
}

/** `"ip"`, `"ip:port"`, `"v6"` or `"[v6]:port"`; port 53 when omitted. */
export function parseUpstream(text: string): Upstream {
  const t = text.trim();
  let host = t;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (t.split(':').length === 2) {
    // exactly one colon: IPv4 with a port (a bare IPv6 address has at least two)
    const [h, p] = t.split(':') as [string, string];
    host = h;
    port = /^\d+$/.test(p) ? Number(p) : NaN;
  }
  if (!ipaddr.isValid(host) || (ipaddr.IPv4.isValid(host) && !ipaddr.IPv4.isValidFourPartDecimal(host))) {
    throw new DnsConfigError(`upstream "${text}": not an IP address`, 'write "ip", "ip:port" or "[ipv6]:port"');
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DnsConfigError(`upstream "${text}": port must be 1-65535`);
  const addr = ipaddr.parse(host);
  return { address: addr.toString(), port, family: addr.kind() === 'ipv4' ? 4 : 6 };
}

export interface HostResolversOptions {
  /**
   * Keep loopback nameservers (127.0.0.0/8, ::1). Default true: the resolver forwards from the
   * host's own network namespace, where the host's local stub (systemd-resolved's 127.0.0.53,
   * dnsmasq) listens. Pass false when the resolver runs in another netns than the one that wrote
   * the file (a lab host in its own netns reading the machine's /etc/resolv.conf), where that
   * loopback address is a different, empty loopback. On systemd-resolved hosts, reading
   * /run/systemd/resolve/resolv.conf instead gives the real upstreams (what Docker does).
   */
  loopback?: boolean;
}

/**
 * The `nameserver` entries of a resolv.conf text, in order, deduplicated, as upstream strings.
 * Malformed entries are skipped (glibc ignores them too). An empty result means nothing to
 * forward to: the resolver then answers SERVFAIL for names that are not ours, and never
 * falls back to a public resolver on its own.
 */
export function hostResolvers(resolvConfText: string, opts: HostResolversOptions = {}): string[] {
  const keepLoopback = opts.loopback ?? true;
  const out: string[] = [];
  for (const raw of resolvConfText.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const host = m[1]!;
    // A link-local server with a zone index (fe80::1%eth0) names an interface of the file's netns,
    // which need not be ours: skipped rather than guessed.
    if (host.includes('%')) continue;
    if (!ipaddr.isValid(host) || (ipaddr.IPv4.isValid(host) && !ipaddr.IPv4.isValidFourPartDecimal(host))) continue;
    const addr = ipaddr.parse(host);
    if (!keepLoopback && addr.range() === 'loopback') continue;
    const text = addr.kind() === 'ipv6' ? `[${addr.toString()}]:53` : addr.toString();
    if (!out.includes(text)) out.push(text);
  }
  return out;
}
