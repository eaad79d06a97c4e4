/**
 * Address arithmetic the dataplane relies on: the MAC Docker gives a container, and the MTU that
 * fits a VXLAN frame into the underlay.
 */
import ipaddr from 'ipaddr.js';

/**
 * The MAC Docker's bridge driver gives an endpoint with IPv4 `ip`: `02:42` (locally administered)
 * followed by the four address bytes. Checked against `docker inspect` on engine 20.10 by the lab
 * test. Knowing it lets a host program a remote container's MAC without asking the remote engine.
 */
export function macForIp(ip: string): string {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) throw new RangeError(`macForIp: ${JSON.stringify(ip)} is not an IPv4 address`);
  const bytes = ipaddr.IPv4.parse(ip).toByteArray();
  return ['02', '42', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/**
 * VXLAN over IPv4 adds 50 bytes to every frame: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8.
 * Containers must see an MTU that much smaller, or large packets are dropped (DF) in the underlay.
 */
export const VXLAN_OVERHEAD = 50;

export function overlayMtu(underlayMtu: number): number {
  if (!Number.isInteger(underlayMtu) || underlayMtu - VXLAN_OVERHEAD < 68) throw new RangeError(`overlayMtu: underlay MTU ${underlayMtu} leaves no room for VXLAN`);
  return underlayMtu - VXLAN_OVERHEAD;
}

/** Lower-case, colon-separated, two hex digits per byte: the form iproute2 prints. */
export function normalizeMac(mac: string): string | undefined {
  const parts = mac.trim().toLowerCase().split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-f]{1,2}$/.test(p))) return undefined;
  return parts.map((p) => p.padStart(2, '0')).join(':');
}

/** Dotted-quad IPv4 in canonical form, or undefined. */
export function normalizeIpv4(ip: string): string | undefined {
  return ipaddr.IPv4.isValidFourPartDecimal(ip) ? ipaddr.IPv4.parse(ip).toString() : undefined;
}
