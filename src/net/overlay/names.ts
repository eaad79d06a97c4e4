/**
 * Device names of the overlay dataplane. Both are derived from the network's key by hashing, so a
 * restarted agent finds the same devices, any key fits in Linux's 15-character limit, and the fixed
 * prefixes let the planner recognise devices that no wanted network accounts for (stale ones).
 * Both are ours: the VXLAN device, and the host's macvlan on it (the "shim") holding this host's
 * address on the overlay.
 */
import { createHash } from 'node:crypto';

/** Prefix of every VXLAN device we create; any other device with it is ours to delete. */
export const VXLAN_PREFIX = 'tsvx-';
/** Prefix of the host's macvlan on each VXLAN device (its gateway and DNS address on the overlay). */
export const SHIM_PREFIX = 'tsgw-';
/** Linux's IFNAMSIZ minus the terminating NUL. */
export const MAX_IFNAME = 15;

const HASH_CHARS = MAX_IFNAME - VXLAN_PREFIX.length;

/** Shim and VXLAN device names for a network key (≤ 15 chars; 40 bits of sha256). */
export function overlayDeviceNames(key: string): { shim: string; vxlan: string } {
  const h = createHash('sha256').update(key).digest('hex').slice(0, HASH_CHARS);
  return { shim: SHIM_PREFIX + h, vxlan: VXLAN_PREFIX + h };
}

export function isOurVxlan(name: string): boolean {
  return name.startsWith(VXLAN_PREFIX);
}

export function isOurShim(name: string): boolean {
  return name.startsWith(SHIM_PREFIX);
}
