/**
 * The core's in-memory view of the replicated log: a snapshot (possibly the synthetic index-0 one
 * that stands for "empty state machine with the bootstrap membership") followed by contiguous
 * entries. Entries above `stabled` have not been handed to the driver for persistence yet.
 */
import type { Entry, Snapshot } from '../types.js';

export class RaftLog {
  /** Latest snapshot; entries[0].index === snapshot.meta.index + 1. */
  snapshot: Snapshot;
  entries: Entry[];
  /** Highest index the driver has been asked to persist and has acknowledged via advance(). */
  stabled: number;
  committed: number;
  applied: number;
  /** A snapshot received from a leader that the driver has not persisted yet. */
  pendingSnapshot: Snapshot | null = null;

  constructor(snapshot: Snapshot, entries: Entry[], committed: number, applied: number) {
    this.snapshot = snapshot;
    this.entries = entries.slice();
    const first = snapshot.meta.index + 1;
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i]!.index !== first + i) throw new Error(`raft log: entry ${i} has index ${this.entries[i]!.index}, want ${first + i}`);
    }
    this.stabled = this.lastIndex();
    this.committed = Math.max(committed, snapshot.meta.index);
    if (this.committed > this.lastIndex()) throw new Error(`raft log: commit ${committed} beyond last index ${this.lastIndex()}`);
    this.applied = Math.min(Math.max(applied, snapshot.meta.index), this.committed);
  }

  snapIndex(): number {
    return this.snapshot.meta.index;
  }
  firstIndex(): number {
    return this.snapshot.meta.index + 1;
  }
  lastIndex(): number {
    return this.snapshot.meta.index + this.entries.length;
  }
  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** Term of the entry at index; null if compacted away or beyond the end. */
  term(index: number): number | null {
    const si = this.snapshot.meta.index;
    if (index === si) return this.snapshot.meta.term;
    if (index < si || index > this.lastIndex()) return null;
    return this.entries[index - si - 1]!.term;
  }

  entry(index: number): Entry | undefined {
    return this.entries[index - this.snapshot.meta.index - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft §5.4.1: is a log ending at (index, term) at least as up-to-date as ours? */
  isUpToDate(index: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && index >= this.lastIndex());
  }

  /**
   * Follower side of AppendEntries. Returns the index of the last entry the leader's message
   * covers, or null if our log does not contain (prevIndex, prevTerm).
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, ents: readonly Entry[]): number | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = prevIndex + ents.length;
    let conflictAt = -1;
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      // Entries at or below the snapshot are committed and therefore identical: skip them.
      if (e.index <= this.snapIndex()) continue;
      if (!this.matchTerm(e.index, e.term)) {
        conflictAt = i;
        break;
      }
    }
    if (conflictAt >= 0) {
      const first = ents[conflictAt]!.index;
      // Overwriting a committed entry would mean two different committed values: a safety bug.
      if (first <= this.committed) throw new Error(`raft log: conflict at ${first} is at or below commit ${this.committed}`);
      this.append(ents.slice(conflictAt));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** Append (possibly replacing a suffix); entries must be contiguous and start within last+1. */
  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const first = ents[0]!.index;
    if (first <= this.committed) throw new Error(`raft log: append at ${first} would overwrite committed ${this.committed}`);
    if (first > this.lastIndex() + 1) throw new Error(`raft log: gap appending ${first} after ${this.lastIndex()}`);
    this.entries.length = first - this.snapIndex() - 1;
    for (const e of ents) this.entries.push(e);
    if (this.stabled >= first) this.stabled = first - 1;
  }

  commitTo(index: number): void {
    if (index > this.committed) {
      if (index > this.lastIndex()) throw new Error(`raft log: commit ${index} beyond last index ${this.lastIndex()}`);
      this.committed = index;
    }
  }

  /** Entries in [lo, hi), at least one (if any), then as many as fit in maxBytes. Null if lo is compacted. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] | null {
    if (lo <= this.snapIndex()) return null;
    const out: Entry[] = [];
    let size = 0;
    for (let i = lo; i < hi && i <= this.lastIndex(); i++) {
      const e = this.entry(i)!;
      size += e.data.byteLength + 24;
      if (out.length > 0 && size > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  unstableEntries(): Entry[] {
    if (this.stabled >= this.lastIndex()) return [];
    return this.entries.slice(this.stabled - this.snapIndex());
  }

  /** Committed entries not yet applied (after any snapshot still to be restored). */
  nextCommitted(): Entry[] {
    const from = Math.max(this.applied, this.pendingSnapshot?.meta.index ?? 0) + 1;
    if (from > this.committed) return [];
    return this.entries.slice(from - this.snapIndex() - 1, this.committed - this.snapIndex());
  }

  /** The driver has persisted entries up to (index, term); ignore if since overwritten. */
  stableTo(index: number, term: number): void {
    if (this.matchTerm(index, term) && index > this.stabled) this.stabled = index;
  }

  /** Replace the whole log with a snapshot from the leader. */
  restore(s: Snapshot): void {
    this.snapshot = s;
    this.entries = [];
    this.committed = s.meta.index;
    this.stabled = s.meta.index;
    this.pendingSnapshot = s;
  }

  /** Drop entries up to snapshot.meta.index (which must be applied, hence durable). */
  compact(s: Snapshot): void {
    const idx = s.meta.index;
    if (idx <= this.snapIndex()) return;
    if (idx > this.applied) throw new Error(`raft log: compact ${idx} beyond applied ${this.applied}`);
    this.entries = this.entries.slice(idx - this.snapIndex());
    this.snapshot = s;
  }

  /**
   * Largest index <= index whose term is <= term (or the snapshot index). Lets a rejecting follower
   * and the leader skip a whole term of divergent entries per round trip.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapIndex()) {
      const t = this.term(i);
      if (t !== null && t <= term) break;
      i--;
    }
    return i;
  }
}
