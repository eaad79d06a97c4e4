import type { TaskExecutor } from './executor.js';
import type { NodeNetworkState } from '../api/network-state.js';
import type { AssignedTask } from '../api/assignments.js';
import { sameObservation, type TaskReport } from '../api/task-report.js';
import type { NodeAttachment } from '../store/index.js';

/** The agent's networking as the worker drives it (NetworkAgent). */
export interface WorkerNetworking {
  configure(state: NodeNetworkState): Promise<void>;
  /** The state as of `index` equals what was last programmed. */
  markCurrent(index: number): void;
  readonly programmedIndex: number;
  /** The last pass left something to do again (stale network in use, address not bindable yet). */
  readonly needsRetry: boolean;
  /** Standalone containers on attachable overlays here, for the leader; undefined: not looked yet. */
  readonly attachments?: NodeAttachment[] | undefined;
  /** Looks for standalone containers again and programs new ones; true when the set changed. */
  refreshAttachments?(): Promise<boolean>;
}

export interface WorkerOptions {
  executor: TaskExecutor;
  /** Overlays, DNS and VIPs; without it tasks use the engine's default bridge only. */
  networking?: WorkerNetworking;
  /** A request to a manager (the daemon's, which tries the known managers in turn). */
  call: <T>(path: string, body: unknown) => Promise<T>;
  /** Pause between passes when nothing changed. */
  periodMs: number;
  log: (msg: string) => void;
}

/**
 * The agent's loop: fetch this node's assignments, let the executor converge the engine, and send
 * the manager every observed state that differs from what the store holds, in one batch. Level
 * triggered: nothing is remembered between passes, so a lost answer is simply sent again.
 */
export class Worker {
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private lastError = '';
  /** Assignments held, by task id, and the store index they are as of. */
  private readonly cache = new Map<string, AssignedTask>();
  private since = 0;

  constructor(private readonly o: WorkerOptions) {}

  run(): void {
    this.stopped = false;
    void this.pass();
    if (this.o.networking) void this.netPass();
  }

  /**
   * Something on the engine changed (a task container died, started, changed health): run a pass
   * now instead of at the end of the period, or right after the one in flight.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.inflight) {
      this.wakeAfter = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.pass();
  }

  private wakeAfter = false;

  /** Stops the loop; resolves once a pass in flight has finished (nothing acts on the engine after). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.netTimer) clearTimeout(this.netTimer);
    this.netTimer = null;
    await Promise.all([this.inflight, this.netInflight]);
  }

  private inflight: Promise<void> | null = null;
  private lastNetworkDigest = '';
  private lastNetworkSync = 0;

  /**
   * The network loop, beside the task loop: engine calls that create or stop containers take
   * seconds on a busy host, and VIP tables and DNS must not wait behind them. Each pass fetches
   * this node's network state (acknowledging what was programmed), programs it when it changed,
   * when the last pass left something unfinished, or when the repair period passed, and keeps
   * the index every node has programmed for the stop gate.
   */
  private netTimer: NodeJS.Timeout | null = null;
  private netInflight: Promise<void> | null = null;
  /** What every live node has programmed, from the last answer; null before the first one. */
  private settled: number | null = null;

  private netPass(): void {
    this.netInflight = this.netPassOnce().finally(() => {
      this.netInflight = null;
    });
  }

  private async netPassOnce(): Promise<void> {
    const n = this.o.networking!;
    let again = false;
    try {
      // Standalone containers go with a request when they changed since the leader last took
      // them, and on the repair period (the leader empties them while the node is down).
      const attachments = n.attachments;
      const listed = attachments === undefined ? null : JSON.stringify(attachments);
      const send = listed !== null && (listed !== this.sentAttachments || Date.now() - this.sentAttachmentsAt > NETWORK_REPAIR_MS);
      const st = await this.o.call<NodeNetworkState>('/v1/dispatcher/network-state', { programmed: n.programmedIndex, ...(send ? { attachments } : {}) });
      if (send) {
        this.sentAttachments = listed;
        this.sentAttachmentsAt = Date.now();
      }
      const { index: _i, settled: _s, ...rest } = st;
      const digest = JSON.stringify(rest);
      const now = Date.now();
      if (digest !== this.lastNetworkDigest || n.needsRetry || now - this.lastNetworkSync > NETWORK_REPAIR_MS) {
        await n.configure(st);
        this.lastNetworkDigest = digest;
        this.lastNetworkSync = now;
      } else {
        // Nothing to change: what was programmed is current as of this index too.
        n.markCurrent(st.index);
      }
      this.settled = st.settled;
      this.lastNetError = '';
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastNetError) this.o.log(`agent: networks: ${msg}`);
      this.lastNetError = msg;
    }
    // Looked at even when the request failed: what it would report next must not wait on it.
    // A standalone container that came or went is reported on the very next request.
    try {
      again = (await n.refreshAttachments?.()) ?? false;
    } catch (e) {
      this.o.log(`agent: standalone containers: ${(e as Error).message}`);
    }
    if (this.stopped) return;
    this.netTimer = setTimeout(() => this.netPass(), again ? 0 : Math.min(NETWORK_PERIOD_MS, this.o.periodMs));
    this.netTimer.unref();
  }

  private lastNetError = '';
  /** The standalone containers the leader last took (JSON), and when. */
  private sentAttachments: string | null = null;
  private sentAttachmentsAt = 0;

  private pass(): Promise<void> {
    this.inflight = this.passOnce().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async passOnce(): Promise<void> {
    let again = false;
    try {
      const a = await this.o.call<{ index: number; ids: string[]; tasks: AssignedTask[] }>('/v1/dispatcher/assignments', this.since > 0 ? { since: this.since } : {});
      // Incremental: the answer carries only what changed since our last one, plus every id.
      const keep = new Set(a.ids);
      for (const id of [...this.cache.keys()]) if (!keep.has(id)) this.cache.delete(id);
      for (const t of a.tasks) this.cache.set(t.task.id, t);
      if (a.ids.some((id) => !this.cache.has(id))) {
        // A gap (another manager lagging, or a restart): start over with a full answer.
        this.since = 0;
        again = true;
      } else {
        this.since = a.index;
        const tasks = [...this.cache.values()];
        // Without networking every stop may proceed; with it, nothing is settled until the first answer.
        const settled = this.o.networking ? (this.settled ?? 0) : null;
        const reports = await this.o.executor.reconcile(tasks, settled === null ? {} : { settled });
        const status = new Map(tasks.map((x) => [x.task.id, x.task.status]));
        const changed = reports.filter((r) => differs(r, status.get(r.taskId)));
        if (changed.length > 0) {
          await this.o.call('/v1/dispatcher/status', { updates: changed });
          // Something moved: look again soon (a start is usually followed by running or health).
          again = true;
        }
      }
      this.lastError = '';
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastError) this.o.log(`agent: ${msg}`);
      this.lastError = msg;
    }
    if (this.stopped) return;
    const woken = this.wakeAfter;
    this.wakeAfter = false;
    this.timer = setTimeout(() => void this.pass(), woken ? 0 : again ? Math.min(100, this.o.periodMs) : this.o.periodMs);
    this.timer.unref();
  }
}

/** Full reprogramming at least this often even when nothing changed: repairs what someone else broke. */
const NETWORK_REPAIR_MS = 10_000;
/** The network loop's period: a backend change reaches every node's tables within about this. */
const NETWORK_PERIOD_MS = 100;

function differs(r: TaskReport, s: AssignedTask['task']['status'] | undefined): boolean {
  return !s || !sameObservation(r, s);
}
