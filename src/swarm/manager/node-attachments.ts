import { containsAddr, parseAddr, parseCidr, isIpamError } from '../../net/ipam.js';
import { canonicalJson } from '../store/canonical-json.js';
import type { MemoryStore, Network, NodeAttachment } from '../store/index.js';

/**
 * The leader's side of standalone containers on attachable overlays: each node reports the
 * containers its engine attached (with every network-state request); the leader keeps them on
 * the node's status, through the store like every other write, so every manager derives the
 * same endpoints from them (src/swarm/manager/network-state.ts). Written only when the list
 * changes: a steady node writes nothing.
 */

/**
 * What of a node's report is published: containers on a network that exists and is attachable,
 * with an address inside that node's own attachment range (anything else could collide with a
 * task: a static `--ip`, or a report racing a range change). Sorted, so an unchanged set compares
 * equal whatever order the engine listed it in. Pure.
 */
export function acceptedAttachments(nodeId: string, reported: readonly NodeAttachment[], networks: readonly Network[]): NodeAttachment[] {
  const byId = new Map(networks.map((n) => [n.id, n]));
  const out = reported.filter((a) => {
    const n = byId.get(a.networkId);
    const range = n?.spec.attachable ? n.allocation?.nodes.find((e) => e.nodeId === nodeId)?.attachRange : null;
    if (!range) return false;
    try {
      return containsAddr(parseCidr(range), parseAddr(a.address));
    } catch (e) {
      if (isIpamError(e)) return false;
      throw e;
    }
  });
  return out.sort((a, b) => (a.networkId + a.containerId < b.networkId + b.containerId ? -1 : a.networkId + a.containerId > b.networkId + b.containerId ? 1 : 0));
}

/** Stores what `nodeId` reported when it differs from what its status holds. */
export async function recordAttachments(store: MemoryStore, nodeId: string, reported: readonly NodeAttachment[]): Promise<void> {
  const next = (): NodeAttachment[] | null =>
    store.view((tx) => {
      const n = tx.get('node', nodeId);
      if (!n) return null;
      const want = acceptedAttachments(nodeId, reported, tx.find('network'));
      return canonicalJson(want) === canonicalJson(n.status.attachments) ? null : want;
    });
  if (next() === null) return;
  await store.update((tx) => {
    const cur = tx.get('node', nodeId);
    if (!cur) return;
    const want = acceptedAttachments(nodeId, reported, tx.find('network'));
    if (canonicalJson(want) !== canonicalJson(cur.status.attachments)) tx.update('node', { ...cur, status: { ...cur.status, attachments: want } });
  });
}
