/**
 * Leader-side ReadIndex bookkeeping (Raft thesis §6.4): each read records the commit index at the
 * time it arrived; it is released once a quorum of voters has answered a heartbeat sent after it,
 * which proves no newer leader could have committed anything the read would miss.
 */
import type { NodeId } from '../types.js';

export interface PendingRead {
  index: number;
  context: Uint8Array;
  /** Who asked: the leader itself or a follower that forwarded the read. */
  from: NodeId;
  acks: Set<NodeId>;
}

/** A map key for a request context (hex; no Node Buffer, so the core stays platform-neutral). */
export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.byteLength; i++) s += (ctx[i]! < 16 ? '0' : '') + ctx[i]!.toString(16);
  return s;
}

export class ReadOnlyQueue {
  private readonly queue: PendingRead[] = [];
  private readonly byKey = new Map<string, PendingRead>();

  add(index: number, context: Uint8Array, from: NodeId, self: NodeId): void {
    const key = contextKey(context);
    if (this.byKey.has(key)) return;
    const r: PendingRead = { index, context, from, acks: new Set([self]) };
    this.queue.push(r);
    this.byKey.set(key, r);
  }

  /** Context of the newest pending read: heartbeats carry it so their answers confirm all reads. */
  lastContext(): Uint8Array | undefined {
    return this.queue[this.queue.length - 1]?.context;
  }

  /**
   * Record an ack from `from` for the read with this context. If `hasQuorum(acks)`, release that
   * read and every older one (the heartbeat was sent after all of them were queued).
   */
  recvAck(from: NodeId, context: Uint8Array, hasQuorum: (acks: Set<NodeId>) => boolean): PendingRead[] {
    const r = this.byKey.get(contextKey(context));
    if (!r) return [];
    r.acks.add(from);
    if (!hasQuorum(r.acks)) return [];
    const n = this.queue.indexOf(r) + 1;
    const released = this.queue.splice(0, n);
    for (const x of released) this.byKey.delete(contextKey(x.context));
    return released;
  }

  clear(): void {
    this.queue.length = 0;
    this.byKey.clear();
  }
}
