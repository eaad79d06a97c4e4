/**
 * The leader's view of one follower's replication: where its log matches ours, what to send next,
 * and how many appends may be in flight. States follow etcd's tracker: probe (one append per
 * round trip while searching for the match point), replicate (pipelined, bounded by a window),
 * snapshot (waiting for a snapshot to land).
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A bounded FIFO of the last index of each append in flight. */
export class Inflights {
  private readonly buf: number[] = [];
  constructor(readonly size: number) {}
  full(): boolean {
    return this.buf.length >= this.size;
  }
  count(): number {
    return this.buf.length;
  }
  add(lastIndex: number): void {
    this.buf.push(lastIndex);
  }
  /** The follower acknowledged up to index: everything sent up to it has landed. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.buf.length && this.buf[n]! <= index) n++;
    if (n > 0) this.buf.splice(0, n);
  }
  freeFirst(): void {
    this.buf.shift();
  }
  reset(): void {
    this.buf.length = 0;
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** probe: an append is out and unanswered; wait for its answer or the next heartbeat response. */
  probeSent = false;
  /** snapshot: index of the snapshot being sent, and ticks spent waiting for it. */
  pendingSnapshot = 0;
  snapshotWait = 0;
  /** Heard from within the current check-quorum window. */
  recentActive = false;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number, public learner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotWait = 0;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot the follower holds at least the snapshot index.
    const from = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.resetState('probe');
    this.next = from;
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = index;
  }

  /** An acknowledgement of index arrived; returns false if it was stale. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * The follower rejected an append whose previous index was `rejected`, hinting that its log may
   * match at `hint`. Returns false if the rejection is stale (an answer to an older message).
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
