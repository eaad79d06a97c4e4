/**
 * Safety properties checked while a simulation runs (Raft paper, Figure 3). Each check throws an
 * {@link InvariantViolation} naming the property, so a failing seed says what broke and where.
 */
import type { Entry, NodeId } from '../../src/raft/types.js';

export class InvariantViolation extends Error {
  constructor(
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

export function entryHash(e: Entry): string {
  // FNV-1a over type and data: identity of an entry's content.
  let h = 0x811c9dc5 ^ e.type;
  for (let i = 0; i < e.data.byteLength; i++) {
    h ^= e.data[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${e.data.byteLength}:${h.toString(16)}`;
}

/** What a node's log looks like to the checker. */
export interface LogView {
  termAt(index: number): number | null;
  entryAt(index: number): Entry | undefined;
  status(): { snapshotIndex: number; lastIndex: number };
}

export class SafetyChecker {
  /** Election safety: at most one leader per term. */
  private readonly leaders = new Map<number, NodeId>();
  /** Every entry any node has applied (hence committed): index -> (term, content). */
  readonly committed = new Map<number, { term: number; hash: string }>();
  /** Log matching, inductively: (index, term) fixes the content and the previous entry's term. */
  private readonly identity = new Map<string, { hash: string; prevTerm: number | null }>();
  private readonly lastApplied = new Map<NodeId, number>();
  /** State machine images by applied index, from snapshots taken anywhere. */
  private readonly images = new Map<number, string>();

  /** Call whenever a node is seen as leader of `term`; returns true if this is news. */
  observeLeader(id: NodeId, term: number, log: LogView): boolean {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== id) {
      throw new InvariantViolation('election safety', `term ${term} has two leaders: ${prev} and ${id}`);
    }
    if (prev !== undefined) return false;
    this.leaders.set(term, id);
    // Leader completeness: a new leader's log holds every entry committed so far (§5.4).
    const snap = log.status().snapshotIndex;
    for (const [index, c] of this.committed) {
      if (index <= snap) continue;
      const t = log.termAt(index);
      if (t !== c.term) {
        throw new InvariantViolation('leader completeness', `leader ${id} of term ${term} has term ${t} at committed index ${index} (want ${c.term})`);
      }
    }
    return true;
  }

  /** Entries a node is about to persist: check log matching against everything seen so far. */
  observeAppended(id: NodeId, entries: readonly Entry[], log: LogView): void {
    for (const e of entries) {
      const key = `${e.index}:${e.term}`;
      const hash = entryHash(e);
      const prevTerm = e.index === 1 ? 0 : log.termAt(e.index - 1);
      const seen = this.identity.get(key);
      if (!seen) {
        this.identity.set(key, { hash, prevTerm });
        continue;
      }
      if (seen.hash !== hash) throw new InvariantViolation('log matching', `${id}: entry ${key} has different content than seen elsewhere`);
      if (seen.prevTerm !== null && prevTerm !== null && seen.prevTerm !== prevTerm) {
        throw new InvariantViolation('log matching', `${id}: entry ${key} follows term ${prevTerm}, elsewhere ${seen.prevTerm}`);
      }
      if (seen.prevTerm === null && prevTerm !== null) seen.prevTerm = prevTerm;
    }
  }

  /** A node applies an entry: state machine safety (same index, same entry, everywhere, in order). */
  observeApplied(id: NodeId, e: Entry): void {
    const last = this.lastApplied.get(id) ?? 0;
    if (e.index !== last + 1) throw new InvariantViolation('apply order', `${id} applies ${e.index} after ${last}`);
    this.lastApplied.set(id, e.index);
    const hash = entryHash(e);
    const c = this.committed.get(e.index);
    if (!c) this.committed.set(e.index, { term: e.term, hash });
    else if (c.term !== e.term || c.hash !== hash) {
      throw new InvariantViolation('state machine safety', `${id} applies ${e.index}:${e.term}, another node applied ${e.index}:${c.term}`);
    }
  }

  /** A node restored a snapshot (or restarted from one): its apply position jumps. */
  observeRestored(id: NodeId, index: number): void {
    this.lastApplied.set(id, index);
  }

  /** A node's apply position after a restart (it re-applies from its snapshot). */
  resetApplied(id: NodeId, index: number): void {
    this.lastApplied.set(id, index);
  }

  /** A state machine image at index (a snapshot taken or restored): all nodes must agree on it. */
  observeImage(id: NodeId, index: number, image: string): void {
    const seen = this.images.get(index);
    if (seen === undefined) this.images.set(index, image);
    else if (seen !== image) throw new InvariantViolation('state machine safety', `${id}: state at index ${index} differs from a snapshot taken elsewhere`);
  }

  hasImage(index: number): boolean {
    return this.images.has(index);
  }

  leaderCount(): number {
    return this.leaders.size;
  }
}
