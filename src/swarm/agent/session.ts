import { apiRequest } from '../api/client.js';
import { certificateValidity } from '../ca/index.js';
import { renewalReason } from './renewal.js';
import type { ManagerAddr } from '../api/schemas.js';
import type { Identity } from '../api/identity.js';

export interface SessionOptions {
  identity: Identity;
  hostname: string;
  /** Beat period until the manager says otherwise. */
  periodMs: number;
  log: (msg: string) => void;
  /** Called when a manager reports a different manager list (the daemon persists it). */
  onManagers: (managers: ManagerAddr[]) => void;
  /**
   * Called when this node should get a new certificate (see renewal.ts); the daemon renews and
   * may change what it runs. Not called again while a renewal it started is still running.
   */
  onRenewDue: (reason: string) => Promise<void>;
  /** The host's networks (CIDRs of interfaces and routes), sent with each beat (host-networks.ts). */
  networks?: () => Promise<string[]>;
}

interface HeartbeatAnswer {
  periodMs: number;
  managers: ManagerAddr[];
  role: 'manager' | 'worker';
  certExpiryMs: number;
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
  private renewing = false;
  /** Where in the renewal window this node renews; drawn once so nodes spread out. */
  private readonly random01 = Math.random();

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

  private maybeRenew(a: HeartbeatAnswer): void {
    if (this.renewing) return;
    const id = this.o.identity;
    const reason = renewalReason({
      validity: certificateValidity(id.certPem),
      certRole: id.state.role,
      wantedRole: a.role,
      certExpiryMs: a.certExpiryMs,
      now: new Date(),
      random01: this.random01,
    });
    if (reason === null) return;
    this.renewing = true;
    void this.o
      .onRenewDue(reason)
      .catch((e: unknown) => this.o.log(`certificate renewal (${reason}): ${(e as Error).message}; retrying at the next heartbeat`))
      .finally(() => {
        this.renewing = false;
      });
  }

  /** Null when they cannot be read: the manager then keeps what it has rather than forgetting them. */
  private async hostNetworks(): Promise<string[] | null> {
    if (this.o.networks === undefined) return null;
    try {
      return await this.o.networks();
    } catch (e) {
      this.o.log(`reading host networks: ${(e as Error).message}`);
      return null;
    }
  }

  private async beat(): Promise<void> {
    const id = this.o.identity;
    const managers = id.state.managers;
    if (managers.length > 0) {
      const m = managers[this.next % managers.length]!;
      try {
        const networks = await this.hostNetworks();
        const a = await apiRequest<HeartbeatAnswer>(
          { kind: 'https', addr: m.apiAddr, tls: { ca: id.caPem, cert: id.certPem, key: id.keyPem } },
          '/v1/heartbeat',
          { body: { hostname: this.o.hostname, ...(networks === null ? {} : { networks }) }, timeoutMs: Math.max(1000, this.periodMs) },
        );
        this.periodMs = a.periodMs;
        if (a.managers.length > 0 && JSON.stringify(a.managers) !== JSON.stringify(managers)) this.o.onManagers(a.managers);
        this.maybeRenew(a);
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
