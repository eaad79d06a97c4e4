import { CLOCK_SKEW_MS, needsRenewal } from '../ca/index.js';
import type { NodeRole } from '../ca/index.js';

/** What the node knows when it decides whether to renew its certificate. */
export interface RenewalInput {
  /** Validity of the certificate it holds. */
  validity: { notBefore: Date; notAfter: Date };
  /** Role written in that certificate. */
  certRole: NodeRole;
  /** Role the managers' store gives the node now (from the heartbeat answer). */
  wantedRole: NodeRole;
  /** The cluster's certificate life now (from the heartbeat answer). */
  certExpiryMs: number;
  now: Date;
  /** This node's fixed draw in [0, 1): where in the renewal window it renews. */
  random01: number;
}

/**
 * Why this node should renew now, or null. Pure. Three reasons: its role changed (promote or
 * demote takes effect through a new certificate), it entered its renewal window, or the cluster
 * shortened certificate life below what it holds (an operator tightening expiry wants it now).
 */
export function renewalReason(i: RenewalInput): string | null {
  if (i.certRole !== i.wantedRole) return `role changed to ${i.wantedRole}`;
  if (needsRenewal(i.validity, i.now, i.random01)) return `certificate expires at ${i.validity.notAfter.toISOString()}`;
  const held = i.validity.notAfter.getTime() - (i.validity.notBefore.getTime() + CLOCK_SKEW_MS);
  // Slack so a certificate issued a moment before the change is not renewed twice.
  if (held > i.certExpiryMs * 1.1 + 1000) return `cluster certificate life is now ${Math.round(i.certExpiryMs / 1000)} s`;
  return null;
}
