/**
 * The per-host resolver (see specs/networking.md, "Service discovery"). Knows no cluster objects:
 * the agent turns its view of services and tasks into {@link DnsNetwork}s and {@link DnsRecordSet}s.
 */
export { answer, buildTable, DEFAULT_TTL_SEC, type DnsAnswer, type DnsClient, type DnsNetwork, type DnsQuestion, type DnsRecord, type DnsRecordSet, type DnsTable, type AnswerOptions } from './dns-table.js';
export { DnsResolver, type DnsListenAddress, type DnsQueryEvent, type DnsResolverOptions } from './resolver.js';
export { hostResolvers, parseUpstream, type HostResolversOptions, type Upstream } from './upstreams.js';
export { DnsConfigError, DnsListenError, type DnsBindFailure } from './errors.js';
export type { QueryOutcome } from './wire.js';
export { DnsRedirector, dnsRedirectScript, removeDnsRedirectScript, DNS_REDIRECT_TABLE } from './redirect.js';
