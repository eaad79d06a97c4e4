/**
 * DNS for a container that was not started with `--dns` pointing at us: a standalone container
 * someone ran with `docker run --network NAME` on an attachable overlay. Docker's embedded
 * resolver (127.0.0.11) answers the local names it knows and forwards every other query to the
 * engine's upstreams (the host's resolv.conf), from inside the container's netns (observed on
 * Docker 20.10; only while the container is on a non-internal network, hence the egress network).
 * One nat-output rule per protocol in that netns DNATs those forwards (port 53 to anything but loopback: Docker's own
 * 127.0.0.11 rules stay untouched) to this host's resolver on the overlay gateway, which answers
 * the cluster's names and forwards the rest to the host's upstreams, as Docker would have.
 *
 * Table `ip tsswarm-dns`, rebuilt whole in one `nft -f -` transaction (add + delete + build, as
 * the VIP tables): idempotent, atomic, and it drops whatever an older run left.
 */
import { inNetns, spawnRunner, type CommandRunner } from '../lb/command.js';

export const DNS_REDIRECT_TABLE = 'ip tsswarm-dns';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The whole table, sending every non-loopback DNS query of the namespace to `to`:53. Pure. */
export function dnsRedirectScript(to: string): string {
  // The address is pasted into nft text: nothing but a dotted quad may pass.
  if (!IPV4.test(to)) throw new Error(`DNS redirect target ${JSON.stringify(to)} is not an IPv4 address`);
  const T = DNS_REDIRECT_TABLE;
  return [
    `add table ${T}`,
    `delete table ${T}`,
    `add table ${T}`,
    `add chain ${T} nat-output { type nat hook output priority -100 ; policy accept ; }`,
    `add rule ${T} nat-output ip daddr != 127.0.0.0/8 udp dport 53 dnat to ${to}`,
    `add rule ${T} nat-output ip daddr != 127.0.0.0/8 tcp dport 53 dnat to ${to}`,
    // The forward's source was picked for its first destination (the upstream, by the default
    // route: the egress network); once redirected it leaves on the overlay, where the resolver
    // must see the container's overlay address to know its networks.
    `add chain ${T} nat-postrouting { type nat hook postrouting priority 100 ; policy accept ; }`,
    `add rule ${T} nat-postrouting ip daddr ${to} udp dport 53 masquerade`,
    `add rule ${T} nat-postrouting ip daddr ${to} tcp dport 53 masquerade`,
  ].join('\n') + '\n';
}

/** Deletes the table if it is there. */
export function removeDnsRedirectScript(): string {
  return `add table ${DNS_REDIRECT_TABLE}\ndelete table ${DNS_REDIRECT_TABLE}\n`;
}

/** Programs the redirect in container namespaces (`/proc/PID/ns/net`) with `nsenter ... nft -f -`. */
export class DnsRedirector {
  constructor(private readonly run: CommandRunner = spawnRunner({ timeoutMs: 10_000 })) {}

  async apply(netnsPath: string, to: string): Promise<void> {
    await this.nft(netnsPath, dnsRedirectScript(to), 'apply');
  }

  /** Removes it; a namespace that is gone already is success (its table went with it). */
  async remove(netnsPath: string): Promise<void> {
    await this.nft(netnsPath, removeDnsRedirectScript(), 'remove', true);
  }

  private async nft(netnsPath: string, script: string, what: string, goneIsOk = false): Promise<void> {
    const r = await this.run(inNetns(netnsPath, ['nft', '-f', '-']), script);
    if (r.code === 0) return;
    if (goneIsOk && /No such file|nsenter: cannot open/.test(r.stderr)) return;
    throw new Error(`DNS redirect (${what}) in ${netnsPath}: nft exited ${r.code ?? 'on a signal'}: ${r.stderr.trim()}`);
  }
}
