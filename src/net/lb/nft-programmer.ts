/**
 * The nftables load balancer's I/O edge: sends {@link renderDiff} of what it last committed to a
 * namespace, or {@link renderFull} when it does not know (first sync, restarted container) or the
 * diff was refused (someone changed the table behind our back). It never lists the table on this
 * path: kube-proxy's syncs took minutes when they re-read the ruleset; a diff against memory costs
 * what changed. Partial syncs go through a long-lived `nft -i` per namespace ({@link NftSessionPool},
 * nft-session.ts) when one is available; full syncs, removals and any doubt go one-shot. A sync
 * resolves once its transaction is committed; the conntrack cleanup that follows runs in the
 * background ({@link ConntrackCleaner}, conntrack-cleaner.ts).
 */
import { spawnRunner, type CommandRunner } from './command.js';
import { conntrackCleanups } from './conntrack.js';
import { ConntrackCleaner } from './conntrack-cleaner.js';
import { LbCommandError, type LbStep } from './errors.js';
import { NO_CLEANUP, type LbBackend, type LbCleanup, type LbSyncResult } from './backend.js';
import { normalizeVipTable, type NormalVipTable, type VipTable } from './model.js';
import { runStep } from './run-step.js';
import { NetnsStates, statNetnsIdentity, type NetnsIdentity } from './netns-state.js';
import { removeScript, renderDiff, renderFull } from './nft-render.js';
import { NftSessionDoubt, NftSessionPool } from './nft-session.js';

export interface NftLbProgrammerOptions {
  /** Runs nsenter/nft/conntrack; default spawns them. */
  run?: CommandRunner;
  /** Namespace identity; default stats the nsfs file. */
  identity?: NetnsIdentity;
  /** Delete conntrack flows of removed backends (default true; see conntrack.ts). */
  conntrack?: boolean;
  /**
   * A conntrack cleanup failed (after its commit, in the background): the table is right, stale
   * UDP flows may live on until they time out. The same error is in the sync's `cleanup`.
   */
  onWarning?: (e: LbCommandError) => void;
  /**
   * A namespace whose last full sync is older than this gets a full sync on its next sync, even
   * when nothing changed (default one hour). Memory cannot see a table someone flushed while our
   * wanted state stood still; this bounds how long such a hole lasts without listing the table.
   */
  fullResyncMs?: number;
  /** Clock for {@link fullResyncMs}; default Date.now. */
  now?: () => number;
  /**
   * Long-lived `nft -i` sessions for partial syncs; false: every transaction one-shot. Default: a
   * pool of real sessions when `run` is the default spawner, none when a runner is injected.
   */
  sessions?: NftSessionPool | false;
}

interface Committed {
  table: NormalVipTable;
  /** When the last full sync of this namespace was committed. */
  fullAt: number;
}

export class NftLbProgrammer implements LbBackend {
  private readonly run: CommandRunner;
  private readonly identity: NetnsIdentity;
  private readonly conntrack: boolean;
  private readonly fullResyncMs: number;
  private readonly now: () => number;
  private readonly states = new NetnsStates<Committed>();
  private readonly sessions: NftSessionPool | undefined;
  private readonly cleaner: ConntrackCleaner;

  constructor(opts: NftLbProgrammerOptions = {}) {
    this.run = opts.run ?? spawnRunner();
    this.identity = opts.identity ?? statNetnsIdentity;
    this.conntrack = opts.conntrack ?? true;
    this.fullResyncMs = opts.fullResyncMs ?? 3_600_000;
    this.now = opts.now ?? Date.now;
    const sessions = opts.sessions ?? (opts.run === undefined ? new NftSessionPool() : false);
    this.sessions = sessions === false ? undefined : sessions;
    this.cleaner = new ConntrackCleaner({ run: this.run, identity: this.identity, ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) });
  }

  async sync(netnsPath: string, table: VipTable): Promise<LbSyncResult> {
    // Bad input fails here, before anything touches the namespace.
    const next = normalizeVipTable(table);
    return this.states.serial(netnsPath, () => this.syncLocked(netnsPath, next));
  }

  remove(netnsPath: string): Promise<void> {
    return this.states.serial(netnsPath, async () => {
      this.states.forget(netnsPath);
      this.sessions?.close(netnsPath);
      this.cleaner.cancel(netnsPath, 'the namespace was removed');
      if ((await this.identity(netnsPath)) === undefined) return; // the namespace died with its table
      await this.nft(netnsPath, 'remove', removeScript());
    });
  }

  forget(netnsPath: string): void {
    this.states.forget(netnsPath);
    this.sessions?.close(netnsPath);
    this.cleaner.cancel(netnsPath, 'the namespace was forgotten');
  }

  /**
   * Ends every nft session (they would end with the process anyway: stdin EOF) and drops queued
   * conntrack cleanups; one already running ends with its process. A restarted programmer knows
   * no namespace, so its first sync of each deletes all UDP flows there anyway.
   */
  close(): void {
    this.sessions?.closeAll();
    this.cleaner.close();
  }

  /** Namespaces with a committed state. */
  known(): string[] {
    return this.states.known();
  }

  private async syncLocked(netnsPath: string, next: NormalVipTable): Promise<LbSyncResult> {
    const id = await this.identity(netnsPath);
    if (id === undefined) {
      this.forget(netnsPath);
      throw new LbCommandError({ netns: netnsPath, step: 'netns', argv: [], status: null, stderr: 'no such namespace (container gone?)' });
    }
    const known = this.states.get(netnsPath, id);
    // Unknown: a first sync, or another namespace behind the path, whose old session pins it.
    if (known === undefined) this.sessions?.close(netnsPath);
    const prev = known?.table;
    let bytes = 0;
    let fullReason = known === undefined ? 'unknown' : 'periodic';
    if (known !== undefined && this.now() - known.fullAt < this.fullResyncMs) {
      const script = renderDiff(known.table, next);
      if (script === '') return { mode: 'none', bytes: 0, cleanup: NO_CLEANUP };
      bytes += script.length;
      let committed = false;
      try {
        await this.partial(netnsPath, id, script);
        committed = true;
      } catch (e) {
        if (!(e instanceof LbCommandError)) throw e;
        fullReason = e.message;
      }
      if (committed) {
        this.states.set(netnsPath, id, { table: next, fullAt: known.fullAt });
        return { mode: 'partial', bytes, cleanup: this.cleanConntrack(netnsPath, id, known.table, next) };
      }
    }
    // Whatever happens next, the old belief is no longer the truth.
    this.states.forget(netnsPath);
    const script = renderFull(next);
    bytes += script.length;
    await this.nft(netnsPath, 'full-sync', script);
    this.states.set(netnsPath, id, { table: next, fullAt: this.now() });
    // After a failed diff our belief is still the best guess of what was there before.
    return { mode: 'full', bytes, fullReason, cleanup: this.cleanConntrack(netnsPath, id, prev, next) };
  }

  /** The diff through the namespace's session, or one-shot when there is none to take it. */
  private async partial(netnsPath: string, id: string, script: string): Promise<void> {
    let r;
    try {
      r = await this.sessions?.transact(netnsPath, id, script);
    } catch (e) {
      if (!(e instanceof NftSessionDoubt)) throw e;
      // Committed or not, we cannot tell: the caller's full sync (one-shot) settles it.
      throw new LbCommandError({ netns: netnsPath, step: 'partial-sync', argv: ['nft', '-i'], status: null, stderr: e.message, cause: e });
    }
    if (r === undefined) return this.nft(netnsPath, 'partial-sync', script);
    if (r.code !== 0) throw new LbCommandError({ netns: netnsPath, step: 'partial-sync', argv: ['nft', '-i'], status: r.code, stderr: r.stderr });
  }

  private async nft(netnsPath: string, step: LbStep, script: string): Promise<void> {
    await runStep(this.run, netnsPath, step, ['nft', '-f', '-'], script);
  }

  /**
   * Queues the flows the commit left stale for deletion, behind the namespace's earlier cleanups.
   * Called only after the commit: deleting first would let a new flow reach a removed backend in
   * between. Not awaited: the commit is what a sync promises.
   */
  private cleanConntrack(netnsPath: string, id: string, prev: NormalVipTable | undefined, next: NormalVipTable): Promise<LbCleanup> {
    return this.conntrack ? this.cleaner.after(netnsPath, id, conntrackCleanups(prev, next)) : NO_CLEANUP;
  }
}
