/**
 * Conntrack cleanup off the commit path: the programmer hands over a change's deletions once its
 * nft transaction is committed, and `sync()` resolves then, because the commit is what
 * "programmed" means (the stop gate waits for it; a new flow already meets the new table). The
 * deletions are a process start (`conntrack -R FILE`), which cost one change 88-311 ms
 * at p99 when sync() waited for it.
 *
 * Order. Per namespace, cleanups run one at a time in the order their commits were queued, each
 * strictly after its own commit (it is queued only then): deleting first would let a new flow pick
 * the removed backend again in between. Cleanups queued while one runs go together in the next
 * process (one `conntrack -R` file for all of them), so a burst of changes costs a few processes
 * and the flows of a removed backend move on within about two process starts of its commit.
 *
 * A cleanup may run after a later commit of the same namespace, which can have put the removed
 * backend back. It then deletes that live backend's UDP flows (or, for a VIP that came back, all
 * its UDP flows): harmless for UDP, whose next datagram is a new flow that meets the DNAT again and
 * may land on another backend. An application that keeps per-backend state over UDP (QUIC, DTLS)
 * sees what it sees when an idle flow times out. TCP is never deleted (see conntrack.ts).
 *
 * Bounds. At most `maxRunning` conntrack processes at once over all namespaces, so a change that
 * touches every client does not start hundreds. `cancel(path)` (the programmer's remove/forget)
 * drops the namespace's queued cleanups; `close()` drops all and takes no more; a running one ends
 * with its process (the runner's timeout, 30 s by default). Before each process the namespace's
 * identity is checked: a path that names another namespace now (a restarted container behind a
 * reused PID) or none is skipped, and a failure in a namespace that went away meanwhile is no
 * warning (its flows went with it).
 */
import type { CommandRunner } from './command.js';
import { runConntrackBatch } from './conntrack.js';
import type { LbCommandError } from './errors.js';
import type { LbCleanup } from './backend.js';
import type { NetnsIdentity } from './netns-state.js';

export interface ConntrackCleanerOptions {
  run: CommandRunner;
  identity: NetnsIdentity;
  /** Called once per failed conntrack process (also in each affected sync's `cleanup`). */
  onWarning?: (e: LbCommandError) => void;
  /** conntrack processes at once over all namespaces (default 2: the commits come first). */
  maxRunning?: number;
}

interface Job {
  id: string;
  lines: ReadonlyArray<readonly string[]>;
  done: (c: LbCleanup) => void;
}

interface Queue {
  jobs: Job[];
  pumping: boolean;
}

const NOTHING: LbCleanup = { conntrackDeleted: 0, warnings: [] };

export class ConntrackCleaner {
  private readonly run: CommandRunner;
  private readonly identity: NetnsIdentity;
  private readonly onWarning: ((e: LbCommandError) => void) | undefined;
  private readonly maxRunning: number;
  private readonly queues = new Map<string, Queue>();
  private running = 0;
  private readonly slots: Array<() => void> = [];
  private closed = false;

  constructor(opts: ConntrackCleanerOptions) {
    this.run = opts.run;
    this.identity = opts.identity;
    this.onWarning = opts.onWarning;
    this.maxRunning = Math.max(1, opts.maxRunning ?? 2);
  }

  /**
   * Queues `lines` (conntrack -R commands) to run after everything queued before for `netnsPath`.
   * Call only once the commit they follow is done. Settles, never rejects, when they ran or were
   * dropped.
   */
  after(netnsPath: string, id: string, lines: ReadonlyArray<readonly string[]>): Promise<LbCleanup> {
    if (lines.length === 0) return Promise.resolve(NOTHING);
    if (this.closed) return Promise.resolve({ ...NOTHING, skipped: 'the programmer is closed' });
    return new Promise((done) => {
      let q = this.queues.get(netnsPath);
      if (q === undefined) {
        q = { jobs: [], pumping: false };
        this.queues.set(netnsPath, q);
      }
      q.jobs.push({ id, lines, done });
      if (!q.pumping) void this.pump(netnsPath, q);
    });
  }

  /** Drops the namespace's queued cleanups (they settle as skipped); a running one finishes. */
  cancel(netnsPath: string, why: string): void {
    for (const j of this.queues.get(netnsPath)?.jobs.splice(0) ?? []) j.done({ ...NOTHING, skipped: why });
  }

  /** Drops every queued cleanup and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const p of this.queues.keys()) this.cancel(p, 'the programmer is closed');
  }

  /** Namespaces with cleanups queued or running (for tests and `info`). */
  pending(): string[] {
    return [...this.queues.keys()];
  }

  private async pump(netnsPath: string, q: Queue): Promise<void> {
    q.pumping = true;
    try {
      while (q.jobs.length > 0) {
        await this.slot();
        try {
          // Taken after the wait: what queued meanwhile goes in the same process.
          const first = q.jobs[0];
          if (first === undefined) break; // cancelled while waiting
          let n = 1;
          while (n < q.jobs.length && q.jobs[n]?.id === first.id) n++;
          const batch = q.jobs.splice(0, n);
          const outcome = await this.runBatch(netnsPath, first.id, batch.flatMap((j) => j.lines));
          for (const j of batch) j.done(outcome);
        } finally {
          this.release();
        }
      }
    } finally {
      q.pumping = false;
      if (this.queues.get(netnsPath) === q && q.jobs.length === 0) this.queues.delete(netnsPath);
    }
  }

  /** One conntrack process; never throws. */
  private async runBatch(netnsPath: string, id: string, lines: ReadonlyArray<readonly string[]>): Promise<LbCleanup> {
    const gone = { ...NOTHING, skipped: 'the namespace is gone' };
    if ((await this.currentId(netnsPath)) !== id) return gone;
    const r = await runConntrackBatch(this.run, netnsPath, lines);
    if (!(r instanceof Error)) return { conntrackDeleted: r.deleted, warnings: [] };
    if ((await this.currentId(netnsPath)) !== id) return gone;
    try {
      this.onWarning?.(r);
    } catch {
      // A failing logger must not stop this namespace's later cleanups; the warning is in the result.
    }
    return { conntrackDeleted: 0, warnings: [r] };
  }

  private async currentId(netnsPath: string): Promise<string | undefined> {
    try {
      return await this.identity(netnsPath);
    } catch {
      return undefined; // unreadable: treated as gone, never deleted blind
    }
  }

  private async slot(): Promise<void> {
    if (this.running < this.maxRunning) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.slots.push(resolve));
  }

  private release(): void {
    const next = this.slots.shift();
    if (next !== undefined) next(); // the slot passes on: `running` stays
    else this.running--;
  }
}
