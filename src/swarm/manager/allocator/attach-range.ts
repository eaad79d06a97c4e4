import type { NetworkSpec } from '../../store/index.js';

/**
 * The size of a node's attachment range on an attachable network: the block of the subnet its
 * engine hands out to standalone containers (`docker run --network NAME`) without asking the
 * cluster. A /28 (16 addresses) by default; `-o attach-prefix=N` picks another size, bounded so
 * a block is neither a trickle (/30: 4 addresses) nor a subnet of its own (/24: 256).
 * Rules and the reason for blocks: specs/networking.md ("Attachable overlays").
 */

export const ATTACH_PREFIX_OPTION = 'attach-prefix';
export const DEFAULT_ATTACH_PREFIX = 28;
export const MIN_ATTACH_PREFIX = 24;
export const MAX_ATTACH_PREFIX = 30;

/** The prefix length of each node's block, or null for a network that is not attachable. */
export function attachPrefixOf(spec: Pick<NetworkSpec, 'attachable' | 'driverOptions'>): number | null {
  if (!spec.attachable) return null;
  const v = spec.driverOptions[ATTACH_PREFIX_OPTION];
  return v === undefined ? DEFAULT_ATTACH_PREFIX : Number(v);
}
