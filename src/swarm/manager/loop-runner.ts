import { randomBytes } from 'node:crypto';
import { toBase36 } from '../ca/base36.js';
import { isConflict, isStoreError, type Batch, type Kind, type MemoryStore, type WriteTx } from '../store/index.js';

/**
 * The edge every leader loop shares (swarmkit's Run/Stop with stopChan/doneChan): a level-triggered
 * driver that runs one `step` — read a view, ask a pure core, write the result — whenever the
 * store changes objects of the loop's kinds, on a periodic tick, and when the step asks to be woken
 * (a restart delay, an update delay). Runs never overlap; events during a run cause one more run.
 * A step that loses a version race simply runs again: the next view is the truth.
 */
export interface LoopOptions {
  name: string;
  store: MemoryStore;
  /** Store kinds whose changes trigger a run. */
  kinds: readonly Kind[];
  /** One reconciliation; resolves with when it wants to run again (epoch ms by `now`) or null. */
  step: () => Promise<number | null>;
  log: (m: string) => void;
  now: () => number;
  /** Periodic run even without events (default 1000 ms): retries after conflicts and errors. */
  tickMs?: number;
}

export class ReconcileLoop {
  private unsubscribe: (() => void) | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private wake: NodeJS.Timeout | null = null;
  private queued = false;
  private again = false;
  private current: Promise<void> | null = null;
  private stopped = false;
  /** Completed runs and failed ones (conflicts included), for tests and diagnostics. */
  runs = 0;
  failures = 0;
  private lastError: string | null = null;

  constructor(private readonly o: LoopOptions) {}

  start(): this {
    this.unsubscribe = this.o.store.subscribe(
      { kinds: this.o.kinds },
      () => this.poke(),
      (e) => this.o.log(`${this.o.name}: watch listener failed: ${String(e)}`),
    );
    this.ticker = setInterval(() => this.poke(), this.o.tickMs ?? 1000);
    this.ticker.unref();
    this.poke();
    return this;
  }

  /** Ask for a run soon; bursts of events coalesce into one run. */
  poke(): void {
    if (this.stopped || this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      void this.run();
    });
  }

  /** Run one step now (or once more after the one in flight). Resolves when it is done. */
  async run(): Promise<void> {
    if (this.stopped) return;
    if (this.current !== null) {
      this.again = true;
      return this.current;
    }
    this.current = this.once();
    try {
      await this.current;
    } finally {
      this.current = null;
    }
    if (this.again && !this.stopped) {
      this.again = false;
      this.poke();
    }
  }

  private async once(): Promise<void> {
    try {
      const wakeAt = await this.o.step();
      this.runs += 1;
      this.lastError = null;
      this.schedule(wakeAt);
    } catch (e) {
      // Conflicts are the normal price of optimistic writes; the tick retries. Anything else is
      // logged and retried the same way: a background loop must not die. A failure that repeats
      // every tick (no leader for a while) is logged once, not once a second.
      this.failures += 1;
      if (isConflict(e)) return;
      const msg = `${this.o.name}: ${e instanceof Error ? e.message : String(e)}`;
      if (msg !== this.lastError) this.o.log(msg);
      this.lastError = msg;
    }
  }

  private schedule(wakeAt: number | null): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
    if (wakeAt === null || this.stopped) return;
    this.wake = setTimeout(() => this.poke(), Math.max(0, wakeAt - this.o.now()));
    this.wake.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.ticker) clearInterval(this.ticker);
    if (this.wake) clearTimeout(this.wake);
    await this.current;
  }
}

/**
 * One group of a batch that may lose a race: a conflict or a vanished object drops just this
 * group (the next run decides again) instead of the whole batch.
 */
export async function tryGroup(b: Batch, fn: (tx: WriteTx) => void): Promise<boolean> {
  try {
    await b.update(fn);
    return true;
  } catch (e) {
    if (isConflict(e) || isStoreError(e, 'not-found')) return false;
    throw e;
  }
}

/** Docker-style task ids: 25 base36 characters from 128 random bits. */
export function randomTaskId(): string {
  return toBase36(randomBytes(16), 25);
}
