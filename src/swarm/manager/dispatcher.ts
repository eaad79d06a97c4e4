import type { MemoryStore } from '../store/index.js';

export interface DispatcherOptions {
  store: MemoryStore;
  /** How often agents beat. A node silent for `graceBeats` periods is marked down. */
  periodMs: number;
  graceBeats?: number;
  now?: () => number;
  log: (msg: string) => void;
}

/**
 * Leader-only: records agents' heartbeats and writes node state changes (ready/down) to the
 * store. Live beats stay in memory (as swarmkit's dispatcher does): only transitions are
 * replicated, so a steady cluster writes nothing.
 */
export class Dispatcher {
  private readonly lastBeat = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt: number;
  private readonly now: () => number;

  constructor(private readonly o: DispatcherOptions) {
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
  }

  run(): void {
    this.timer = setInterval(() => void this.sweep().catch((e: unknown) => this.o.log(`dispatcher: ${(e as Error).message}`)), this.o.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * A beat from `nodeId`; marks it ready if the store says otherwise, and records its hostname and
   * host networks when they changed (`networks` undefined: the agent did not say, keep them).
   */
  async heartbeat(nodeId: string, addr: string, hostname: string, networks?: readonly string[]): Promise<void> {
    this.lastBeat.set(nodeId, this.now());
    const n = this.o.store.view((tx) => tx.get('node', nodeId));
    if (!n) return;
    const sameNetworks = networks === undefined || n.description === null || sameList(n.description.networks, networks);
    if (n.status.state === 'ready' && n.status.addr === addr && n.description?.hostname === hostname && sameNetworks) return;
    await this.o.store.update((tx) => {
      const cur = tx.get('node', nodeId);
      if (!cur) return;
      tx.update('node', {
        ...cur,
        status: { ...cur.status, state: 'ready', addr, message: '', lastHeartbeat: this.now() },
        description: cur.description ? { ...cur.description, hostname, ...(networks === undefined ? {} : { networks: [...networks] }) } : cur.description,
      });
    });
  }

  /** Network state index each node last reported fully programmed (memory only, like beats). */
  private readonly programmed = new Map<string, number>();

  /** `nodeId` has programmed its network state as of store index `index`. */
  recordProgrammed(nodeId: string, index: number): void {
    if (index > (this.programmed.get(nodeId) ?? 0)) this.programmed.set(nodeId, index);
  }

  /**
   * The store index every node that is not down has programmed (0 while one has not reported
   * since this leader started): a change at or below it is on every live node's VIPs and DNS.
   */
  settledIndex(): number {
    const live = this.o.store.view((tx) => tx.find('node').filter((n) => n.status.state !== 'down'));
    let min = Number.MAX_SAFE_INTEGER;
    for (const n of live) min = Math.min(min, this.programmed.get(n.id) ?? 0);
    return live.length === 0 ? 0 : min;
  }

  /** Marks down every node not heard from within the grace period (counted from leadership start too). */
  private async sweep(): Promise<void> {
    const deadline = this.now() - this.o.periodMs * (this.o.graceBeats ?? 3);
    const stale = this.o.store.view((tx) =>
      tx.find('node').filter((n) => n.status.state !== 'down' && (this.lastBeat.get(n.id) ?? this.startedAt) < deadline),
    );
    if (stale.length === 0) return;
    await this.o.store.update((tx) => {
      for (const s of stale) {
        const cur = tx.get('node', s.id);
        // A node that is down cannot be reached: its standalone containers leave every node's
        // tables now, and it reports them again once it is back.
        if (cur) tx.update('node', { ...cur, status: { ...cur.status, state: 'down', message: 'heartbeat failure', attachments: [] } });
      }
    });
    for (const s of stale) this.o.log(`node ${s.id} missed its heartbeats: down`);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
