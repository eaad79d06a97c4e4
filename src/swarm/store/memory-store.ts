import { decodeCommand, encodeCommand, COMMAND_FORMAT_VERSION } from './command.js';
import { canonicalJson } from './canonical-json.js';
import { StoreError } from './errors.js';
import { matches, type StoreEvent, type WatchFilter } from './events.js';
import { KINDS, type StoreObject } from './kinds.js';
import type { Proposer, ReplicatedStateMachine } from './proposer.js';
import { StateReadTx, type ReadTx } from './read-tx.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';
import { StoreState } from './state.js';
import { DEFAULT_WATCH_LIMIT, Watch } from './watch.js';
import { OverlayWriteTx, type WriteTx } from './write-tx.js';
import { runBatch, type Batch, type BatchResult } from './batch.js';

/** One command per raft append at most (the core sizes appends at 1 MiB); `batch` stays below it. */
export const DEFAULT_MAX_COMMAND_BYTES = 1024 * 1024;
/** Changes per command that `batch` aims for (swarmkit uses a similar bound). */
export const DEFAULT_MAX_CHANGES_PER_COMMAND = 200;

export interface MemoryStoreOptions {
  /** Where `update` and `batch` send commands. */
  proposer: Proposer;
  /**
   * Proposer-side clock (epoch ms) for createdAt/updatedAt. It is read when a transaction starts,
   * never inside apply, so all replicas store the same times.
   */
  now?: () => number;
  maxCommandBytes?: number;
  maxChangesPerCommand?: number;
  /** Default queue bound of watchers. */
  watchLimit?: number;
}

/** What `apply` returns; the proposer hands it back to the `update` that proposed the command. */
export type ApplyResult = { ok: true; index: number; changes: number } | { ok: false; error: StoreError };

export interface UpdateResult<T> {
  /** What the transaction callback returned. */
  value: T;
  /** Raft index the changes were applied at (their new meta.version), or null if nothing changed. */
  index: number | null;
}

type Listener = { filter: WatchFilter | undefined; fromSeq: number; deliver: (e: StoreEvent) => void; onError?: (e: unknown) => void };

/**
 * The replicated object store of the managers (swarmkit's MemoryStore).
 *
 * Reads are local and synchronous (`view`). Writes are optimistic: `update` records changes in a
 * transaction, encodes them as one command and proposes it; every replica then `apply`s the same
 * bytes at the same index, which validates versions and names and applies all or nothing. The
 * store is also the raft state machine: wire `apply`/`snapshot`/`restore` into the raft node.
 */
export class MemoryStore implements ReplicatedStateMachine {
  private state = new StoreState();
  private readonly listeners = new Set<Listener>();
  /** Counts applied batches and restores; watchers only get events from after they started. */
  private seq = 0;
  private readonly outbox: { seq: number; events: StoreEvent[] }[] = [];
  private delivering = false;
  private readonly proposer: Proposer;
  private readonly now: () => number;
  readonly maxCommandBytes: number;
  readonly maxChangesPerCommand: number;
  private readonly watchLimit: number;

  constructor(opts: MemoryStoreOptions) {
    this.proposer = opts.proposer;
    this.now = opts.now ?? Date.now;
    this.maxCommandBytes = opts.maxCommandBytes ?? DEFAULT_MAX_COMMAND_BYTES;
    this.maxChangesPerCommand = opts.maxChangesPerCommand ?? DEFAULT_MAX_CHANGES_PER_COMMAND;
    this.watchLimit = opts.watchLimit ?? DEFAULT_WATCH_LIMIT;
  }

  /** Raft index of the last applied command. */
  get index(): number {
    return this.state.appliedIndex;
  }

  /**
   * Run a synchronous read over the current state. Nothing can be applied while it runs (apply is
   * synchronous too), so it sees one consistent state; objects it keeps stay valid afterwards.
   */
  view<T>(fn: (tx: ReadTx) => T): T {
    return mustBeSync(fn(new StateReadTx(this.state)), 'view');
  }

  /**
   * Record changes with a synchronous callback, then propose them as one command and wait until
   * it is applied here. Rejects with the {@link ConflictError} or {@link InvalidCommandError} that
   * refused it (nothing applied), or with the proposer's error. If the callback throws, nothing is
   * proposed. A callback that records nothing proposes nothing.
   */
  async update<T>(fn: (tx: WriteTx) => T): Promise<UpdateResult<T>> {
    const tx = new OverlayWriteTx(new StateReadTx(this.state), this.now());
    const value = mustBeSync(fn(tx), 'update');
    if (tx.size === 0) return { value, index: null };
    const index = await this.commit(tx);
    return { value, index };
  }

  /**
   * Many changes that need not be atomic together, split into several commands (swarmkit's
   * `Batch`). Changes of one `b.update` call always land in the same command. See batch.ts.
   */
  batch(fn: (b: Batch) => Promise<void> | void): Promise<BatchResult> {
    return runBatch(this, fn);
  }

  /** @internal Used by batch: start a transaction over the current state. */
  beginTx(): OverlayWriteTx {
    return new OverlayWriteTx(new StateReadTx(this.state), this.now());
  }

  /** @internal Propose the changes of `tx` as one command; resolves to the applied index. */
  async commit(tx: OverlayWriteTx): Promise<number> {
    const bytes = encodeCommand({ v: COMMAND_FORMAT_VERSION, ts: tx.ts, changes: tx.changes() });
    if (bytes.length > this.maxCommandBytes) {
      throw new StoreError('too-large', `transaction of ${tx.size} changes is ${bytes.length} bytes, over the ${this.maxCommandBytes}-byte command limit`, {
        hint: 'use store.batch() for bulk changes',
      });
    }
    const result = await this.proposer.propose(bytes);
    if (!isApplyResult(result)) throw new StoreError('internal', 'the proposer did not return a store apply result (is it wired to this store?)');
    if (!result.ok) throw result.error;
    return result.index;
  }

  /**
   * Apply a committed command at `index` (called by raft on every replica, or by LocalProposer).
   * Deterministic; never throws: a refused command is returned as `{ok: false, error}` and
   * changes nothing, so every replica refuses it alike and stays identical.
   */
  apply(data: Uint8Array, index: number): ApplyResult {
    let events: StoreEvent[] | StoreError;
    try {
      events = this.state.apply(decodeCommand(data), index);
    } catch (e) {
      if (e instanceof StoreError) return { ok: false, error: e };
      // Not expected: validation is complete before the first mutation. Surface it as a refusal
      // rather than crash the raft loop; the message carries the cause for the bug report.
      return { ok: false, error: new StoreError('internal', `store apply failed unexpectedly: ${String(e)}`, { cause: e }) };
    }
    if (events instanceof StoreError) return { ok: false, error: events };
    this.publish(events);
    return { ok: true, index, changes: events.length };
  }

  /** Deterministic bytes of the whole state (canonical JSON, see specs/store.md). */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.state);
  }

  /**
   * Replace the whole state with a snapshot (empty bytes: the empty initial state). The snapshot
   * is checked completely first; on a bad one this throws an InvalidCommandError and the store is
   * unchanged. Watchers get the difference (creates, updates, deletes) so they stay level.
   */
  restore(data: Uint8Array): void {
    const next = new StoreState();
    // Empty bytes mean the initial, empty state (raft restores that before any snapshot exists).
    if (data.length > 0) {
      const snap = decodeSnapshot(data);
      next.reset(snap.objects, snap.index);
    }
    const events = diff(this.state, next, next.appliedIndex);
    this.state = next;
    this.publish(events);
  }

  /** Events applied from now on that match `filter`, as an async iterator. */
  watch(filter?: WatchFilter, opts: { limit?: number } = {}): Watch {
    const w = new Watch(opts.limit ?? this.watchLimit, () => this.listeners.delete(l));
    const l: Listener = { filter, fromSeq: this.seq, deliver: (e) => w.push(e) };
    this.listeners.add(l);
    return w;
  }

  /**
   * Synchronous listener, called right after each batch is applied (before `update` resolves).
   * A listener that throws is removed and `onError` gets the error; apply is never disturbed.
   * Returns the unsubscribe function.
   */
  subscribe(filter: WatchFilter | undefined, listener: (e: StoreEvent) => void, onError?: (e: unknown) => void): () => void {
    const l: Listener = { filter, fromSeq: this.seq, deliver: listener, ...(onError ? { onError } : {}) };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /**
   * A consistent read plus every matching event after exactly that state: nothing missed, nothing
   * the read already reflects. The watch starts in the same synchronous step as the read.
   */
  viewAndWatch<T>(fn: (tx: ReadTx) => T, filter?: WatchFilter, opts: { limit?: number } = {}): { value: T; watch: Watch } {
    const watch = this.watch(filter, opts);
    try {
      return { value: this.view(fn), watch };
    } catch (e) {
      watch.close();
      throw e;
    }
  }

  /**
   * Deliver events in apply order even when a listener's reaction applies another batch
   * synchronously (LocalProposer does): later batches queue behind the one being delivered.
   */
  private publish(events: StoreEvent[]): void {
    this.outbox.push({ seq: ++this.seq, events });
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let batch = this.outbox.shift(); batch !== undefined; batch = this.outbox.shift()) {
        for (const l of [...this.listeners]) {
          if (l.fromSeq >= batch.seq || !this.listeners.has(l)) continue;
          for (const e of batch.events) {
            if (!this.listeners.has(l)) break;
            try {
              if (matches(l.filter, e)) l.deliver(e);
            } catch (err) {
              this.listeners.delete(l);
              l.onError?.(err);
            }
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}

function mustBeSync<T>(value: T, what: string): T {
  if (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') {
    throw new StoreError('async-callback', `store.${what}() callbacks must be synchronous`, {
      hint: 'read what you need, return, and await outside the callback',
    });
  }
  return value;
}

function isApplyResult(r: unknown): r is ApplyResult {
  if (r === null || typeof r !== 'object') return false;
  const o = r as { ok?: unknown; index?: unknown; error?: unknown };
  return (o.ok === true && typeof o.index === 'number') || (o.ok === false && o.error instanceof StoreError);
}

/** Events that take a reader of `from` to `to`, kind by kind in id order. */
function diff(from: StoreState, to: StoreState, index: number): StoreEvent[] {
  const events: StoreEvent[] = [];
  for (const kind of KINDS) {
    const push = (action: StoreEvent['action'], object: StoreObject, oldObject: StoreObject | undefined): void => {
      events.push({ kind, action, object, oldObject, index } as StoreEvent);
    };
    for (const o of to.list(kind)) {
      const old = from.get(kind, o.id);
      if (old === undefined) push('create', o, undefined);
      else if (old.meta.version !== o.meta.version || canonicalJson(old) !== canonicalJson(o)) push('update', o, old);
    }
    for (const o of from.list(kind)) if (to.get(kind, o.id) === undefined) push('delete', o, undefined);
  }
  return events;
}
