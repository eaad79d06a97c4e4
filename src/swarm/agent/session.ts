import { apiRequest } from '../api/client.js';
import type { ManagerAddr } from '../api/schemas.js';
import type { Identity } from '../daemon/identity.js';

export interface SessionOptions {
  identity: Identity;
  hostname: string;
  /** Beat period until the manager says otherwise. */
  periodMs: number;
  log: (msg: string) => void;
  /** Called when a manager reports a different manager list (the daemon persists it). */
  onManagers: (managers: ManagerAddr[]) => void;
}

interface HeartbeatAnswer {
  periodMs: number;
  managers: ManagerAddr[];
  role: 'manager' | 'worker';
}

/**
 * The agent's session with the managers: a heartbeat every period to one manager, moving on to
 * the next known manager when one does not answer. Managers forward beats to the leader, whose
 * dispatcher marks silent nodes down.
 */
export class Session {
  private timer: NodeJS.Timeout | null = null;
  private next = 0;
  private stopped = false;
  private periodMs: number;

  constructor(private readonly o: SessionOptions) {
    this.periodMs = o.periodMs;
  }

  run(): void {
    this.stopped = false;
    void this.beat();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async beat(): Promise<void> {
    const id = this.o.identity;
    const managers = id.state.managers;
    if (managers.length > 0) {
      const m = managers[this.next % managers.length]!;
      try {
        const a = await apiRequest<HeartbeatAnswer>(
          { kind: 'https', addr: m.apiAddr, tls: { ca: id.caPem, cert: id.certPem, key: id.keyPem } },
          '/v1/heartbeat',
          { body: { hostname: this.o.hostname }, timeoutMs: Math.max(1000, this.periodMs) },
        );
        this.periodMs = a.periodMs;
        if (a.managers.length > 0 && JSON.stringify(a.managers) !== JSON.stringify(managers)) this.o.onManagers(a.managers);
      } catch (e) {
        this.next++;
        this.o.log(`heartbeat to ${m.apiAddr}: ${(e as Error).message}`);
      }
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.beat(), this.periodMs);
      this.timer.unref();
    }
  }
}
