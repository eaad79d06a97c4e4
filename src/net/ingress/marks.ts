/**
 * The marks of the ingress routing mesh (specs/networking.md, "Ingress: the dataplane"). Bits of
 * the conntrack mark on the entry node, and a packet/conntrack mark per entry node inside each
 * backend's netns. Kept apart: the entry node's bits are high, a backend's reply marks low, so a
 * host that is also a backend's entry never confuses them (they live in different namespaces
 * anyway).
 */

/** Entry node, conntrack mark: this connection came in through a published port. */
export const INGRESS_CT_MARK = 0x10000000;
/** Entry node, conntrack mark: masquerade it towards the backend (the per-port opt-out). */
export const SNAT_CT_MARK = 0x20000000;

/** Backend netns: reply marks are `REPLY_MARK_BASE | low 16 bits of the entry node's ingress address`. */
export const REPLY_MARK_BASE = 0x10000;
export const REPLY_MARK_MASK = 0xffff0000;

/** The mark (and routing table id) that sends a backend's replies back through the entry node at `gateway`. */
export function replyMark(gateway: string): number {
  const parts = gateway.split('.').map(Number);
  return REPLY_MARK_BASE | ((parts[2]! << 8) | parts[3]!);
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
