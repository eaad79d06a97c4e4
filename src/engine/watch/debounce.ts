/**
 * Groups bursts of file events into batches (an editor's save, a branch switch, a tool writing
 * many files), with the clock injected so tests drive time. A batch is flushed once no event came
 * for `quietMs`; a stream that never goes quiet is still flushed every `maxWaitMs`, so a file
 * rewritten every 100 ms (a log, a watch-mode compiler) cannot hold every other change back.
 * Compose waits for a 500 ms quiet period and has no cap (pkg/watch/debounce.go); we wait
 * {@link QUIET_MS}, which keeps an edit -> file in the container well under a second while still
 * taking an editor's write-then-rename as one change.
 */

export const QUIET_MS = 200;
export const MAX_WAIT_MS = 1000;

/** The timer functions the debouncer uses; `realTimers` in production, a fake clock in tests. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Debouncer {
  private pending = new Set<string>();
  private timer: unknown;
  private firstAt = 0;
  private closed = false;
  private readonly quietMs: number;
  private readonly maxWaitMs: number;
  private readonly timers: Timers;

  constructor(
    private readonly onBatch: (paths: string[]) => void,
    opts: { quietMs?: number; maxWaitMs?: number; timers?: Timers } = {},
  ) {
    this.quietMs = opts.quietMs ?? QUIET_MS;
    this.maxWaitMs = opts.maxWaitMs ?? MAX_WAIT_MS;
    this.timers = opts.timers ?? realTimers;
  }

  /** One changed path; the same path twice in a burst counts once. */
  add(path: string): void {
    if (this.closed) return;
    const now = this.timers.now();
    if (this.pending.size === 0) this.firstAt = now;
    this.pending.add(path);
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.quietMs, this.firstAt + this.maxWaitMs - now));
    this.timer = this.timers.setTimeout(() => this.flush(), wait);
  }

  /** Hands what is pending over now (nothing happens when nothing is). */
  flush(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending = new Set();
    this.onBatch(batch);
  }

  /** Drops what is pending and ignores later events. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
