import { StoreError } from './errors.js';
import type { StoreEvent } from './events.js';

/** Default bound of a watcher's queue; see {@link Watch}. */
export const DEFAULT_WATCH_LIMIT = 10_000;

/**
 * A stream of store events for one watcher, consumed with `for await` or `next()`.
 *
 * Events are queued synchronously as batches are applied, so a watcher never misses one and sees
 * them in apply order. The queue is bounded: a watcher that falls `limit` events behind is closed
 * with a `watch-overflow` {@link StoreError} (swarmkit does the same) instead of growing memory
 * without end; it should re-read with `viewAndWatch` and continue from there.
 */
export class Watch implements AsyncIterableIterator<StoreEvent> {
  private readonly queue: StoreEvent[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<StoreEvent>) => void; reject: (e: unknown) => void } | undefined;
  private closed = false;
  private failure: StoreError | undefined;

  constructor(
    private readonly limit: number,
    private readonly onClose: (w: Watch) => void,
  ) {}

  /** Called by the store; never throws. */
  push(e: StoreEvent): void {
    if (this.closed) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w.resolve({ value: e, done: false });
      return;
    }
    if (this.queue.length - this.head >= this.limit) {
      this.fail(new StoreError('watch-overflow', `watcher fell more than ${this.limit} events behind and was closed`, { hint: 'read the state again with viewAndWatch' }));
      return;
    }
    this.queue.push(e);
  }

  /** Events queued and not yet taken. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Take every queued event without waiting (handy for loops that drain per tick, and tests). */
  drain(): StoreEvent[] {
    const out = this.queue.slice(this.head);
    this.queue.length = 0;
    this.head = 0;
    return out;
  }

  next(): Promise<IteratorResult<StoreEvent>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++] as StoreEvent;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter !== undefined) return Promise.reject(new Error('Watch.next() called again before the previous call resolved'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Stop watching; queued events are dropped and a waiting `next()` ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.head = 0;
    this.onClose(this);
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve({ value: undefined, done: true });
  }

  return(): Promise<IteratorResult<StoreEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StoreEvent> {
    return this;
  }

  private fail(e: StoreError): void {
    this.failure = e;
    this.close();
    // close() resolved nothing pending (there was no waiter, or push would have used it); the
    // failure surfaces on the next call to next().
  }
}
