/**
 * The nftables load balancer's I/O edge: sends {@link renderDiff} of what it last committed to a
 * namespace, or {@link renderFull} when it does not know (first sync, restarted container) or the
 * diff was refused (someone changed the table behind our back). It never lists the table on this
 * path: kube-proxy's syncs took minutes when they re-read the ruleset; a diff against memory costs
 * what changed. Partial syncs go through a long-lived `nft -i` per namespace ({@link NftSessionPool},
 * nft-session.ts) when one is available; full syncs, removals and any doubt go one-shot.
 */
import { spawnRunner, type CommandRunner } from './command.js';
import { conntrackCleanups, runConntrackBatch } from './conntrack.js';
import { LbCommandError, type LbStep } from './errors.js';
import type { LbBackend, LbSyncResult } from './backend.js';
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

  constructor(opts: NftLbProgrammerOptions = {}) {
    this.run = opts.run ?? spawnRunner();
    this.identity = opts.identity ?? statNetnsIdentity;
    this.conntrack = opts.conntrack ?? true;
    this.fullResyncMs = opts.fullResyncMs ?? 3_600_000;
    this.now = opts.now ?? Date.now;
    const sessions = opts.sessions ?? (opts.run === undefined ? new NftSessionPool() : false);
    this.sessions = sessions === false ? undefined : sessions;
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
      if ((await this.identity(netnsPath)) === undefined) return; // the namespace died with its table
      await this.nft(netnsPath, 'remove', removeScript());
    });
  }

  forget(netnsPath: string): void {
    this.states.forget(netnsPath);
    this.sessions?.close(netnsPath);
  }

  /** Ends every nft session (they would end with the process anyway: stdin EOF). */
  close(): void {
    this.sessions?.closeAll();
  }

  /** Namespaces with a committed state. */
  known(): string[] {
    return this.states.known();
  }

  private async syncLocked(netnsPath: string, next: NormalVipTable): Promise<LbSyncResult> {
    const id = await this.identity(netnsPath);
    if (id === undefined) {
      this.states.forget(netnsPath);
      this.sessions?.close(netnsPath);
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
      if (script === '') return { mode: 'none', bytes: 0, conntrackDeleted: 0, warnings: [] };
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
        return { mode: 'partial', bytes, ...(await this.cleanConntrack(netnsPath, known.table, next)) };
      }
    }
    // Whatever happens next, the old belief is no longer the truth.
    this.states.forget(netnsPath);
    const script = renderFull(next);
    bytes += script.length;
    await this.nft(netnsPath, 'full-sync', script);
    this.states.set(netnsPath, id, { table: next, fullAt: this.now() });
    // After a failed diff our belief is still the best guess of what was there before.
    return { mode: 'full', bytes, fullReason, ...(await this.cleanConntrack(netnsPath, prev, next)) };
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

  /** Runs after the commit: deleting first would let a new flow reach a removed backend in between. */
  private async cleanConntrack(
    netnsPath: string,
    prev: NormalVipTable | undefined,
    next: NormalVipTable,
  ): Promise<{ conntrackDeleted: number; warnings: LbCommandError[] }> {
    const warnings: LbCommandError[] = [];
    let conntrackDeleted = 0;
    const lines = this.conntrack ? conntrackCleanups(prev, next) : [];
    if (lines.length === 0) return { conntrackDeleted, warnings };
    // All of a change's deletions in one process: a spawn costs more than the deletions.
    const r = await runConntrackBatch(this.run, netnsPath, lines);
    if (r instanceof LbCommandError) warnings.push(r);
    else conntrackDeleted += r.deleted;
    return { conntrackDeleted, warnings };
  }
}
