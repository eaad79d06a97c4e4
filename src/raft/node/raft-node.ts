/**
 * The node driver: owns a {@link RaftCore}, its {@link DiskStorage} and its {@link TcpTransport},
 * turns wall-clock time into ticks, and runs the Ready loop in the order the core requires:
 *
 *   persist (one fsync per Ready) -> send -> apply (and answer proposals/reads) -> advance.
 *
 * Only one Ready is in flight at a time. While its fsync runs, new proposals and messages pile up
 * in the core and go out together in the next Ready: that is the group commit.
 */
import { BinaryReader, BinaryWriter } from '../codec.js';
import { RaftCore, type Ready, type Role, type SoftState, type Status } from '../core/index.js';
import { DiskStorage, StorageWriteError, type RecoveredState } from '../storage/index.js';
import { TcpTransport, type TlsMaterial } from '../transport/index.js';
import { EntryType, type ConfChange, type ConfChangeType, type Entry, type HardState, type Message, type NodeId, type Snapshot } from '../types.js';
import {
  NotLeaderError,
  ProposalDroppedError,
  ProposalRefusedError,
  StorageFailedError,
  StoppedError,
  TimeoutError,
} from './errors.js';
import { coalesceMessages } from './coalesce.js';
import type { StateMachine } from './state-machine.js';

export interface NodeLogger {
  warn(msg: string): void;
  info?(msg: string): void;
}

export interface RaftNodeOptions<R> {
  id: NodeId;
  /** Directory for the WAL and snapshots (created if missing). */
  dataDir: string;
  /** Raft listen address. */
  listen: { host: string; port: number };
  /**
   * Raft addresses (`host:port`) of the founding members, this node included. Used as the initial
   * membership by a brand-new member, and as the address book until ConfChange contexts update it.
   */
  peers: Record<NodeId, string>;
  /** A member joining an existing cluster starts with no membership and waits for the leader. */
  join?: boolean;
  stateMachine: StateMachine<R>;
  /** Wall-clock length of one tick. Default 50 ms. */
  tickMs?: number;
  /** Election timeout in ticks (randomised in [e, 2e)). Default 10. */
  electionTick?: number;
  heartbeatTick?: number;
  /** Snapshot and compact the log every this many applied entries. Default 10000. */
  snapshotEvery?: number;
  /** Default deadline of propose/read. Default 5000 ms. */
  defaultTimeoutMs?: number;
  tls?: TlsMaterial;
  segmentBytes?: number;
  logger?: NodeLogger;
  /** Called after every role or leader change (after the Ready that reported it was handled). */
  onSoftState?: (s: SoftState) => void;
  /** Uniform [0,1) source for election jitter. Default Math.random. */
  random?: () => number;
}

interface PendingProposal<R> {
  term: number;
  resolve: (r: R | undefined) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface PendingRead {
  index: number | null;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface NodeStatus extends Status {
  /** Raft address of every member this node knows. */
  addresses: Record<NodeId, string>;
}

const noopLogger: NodeLogger = { warn: () => undefined };

/** RAFT_NODE_TRACE=1: print Ready-loop counters to stderr every second (diagnostics for tuning). */
const trace = process.env.RAFT_NODE_TRACE === '1' ? { readys: 0, entries: 0, msgs: 0, committed: 0, saveMs: 0, maxSaveMs: 0 } : null;
if (trace) {
  setInterval(() => {
    process.stderr.write(`raft-node trace: ${JSON.stringify({ ...trace, saveMs: Math.round(trace.saveMs), maxSaveMs: Math.round(trace.maxSaveMs) })}\n`);
    Object.assign(trace, { readys: 0, entries: 0, msgs: 0, committed: 0, saveMs: 0, maxSaveMs: 0 });
  }, 1000).unref();
}

export class RaftNode<R> {
  readonly id: NodeId;
  private core!: RaftCore;
  private storage!: DiskStorage;
  private transport!: TcpTransport;
  private readonly sm: StateMachine<R>;
  private readonly log: NodeLogger;
  private readonly addresses = new Map<NodeId, string>();
  private readonly pending = new Map<number, PendingProposal<R>>();
  private readonly reads = new Map<string, PendingRead>();
  private readSeq = 0;
  private ticker: NodeJS.Timeout | null = null;
  private pumping = false;
  private pumpAgain = false;
  private pumpDone: Promise<void> = Promise.resolve();
  private stopped = false;
  private failure: StorageFailedError | null = null;
  private applied = 0;
  private lastSnapshotIndex = 0;
  private soft: SoftState = { leader: null, role: 'follower' };
  private durableTerm = 0;
  private durableVote: NodeId | null = null;
  /** Highest log index made durable by this driver (entries up to it are on disk). */
  private durableLast = 0;
  /** A commit-only hard state not yet written (see handleReady). */
  private lazyHardState: HardState | null = null;

  constructor(private readonly opts: RaftNodeOptions<R>) {
    this.id = opts.id;
    this.sm = opts.stateMachine;
    this.log = opts.logger ?? noopLogger;
    for (const [id, addr] of Object.entries(opts.peers)) this.addresses.set(id, addr);
  }

  /** Recover from disk, start listening and ticking. Resolves with the bound raft address. */
  async start(): Promise<{ host: string; port: number }> {
    const o = this.opts;
    this.storage = await DiskStorage.open(o.dataDir, { logger: this.log, ...(o.segmentBytes ? { segmentBytes: o.segmentBytes } : {}) });
    let rec = this.storage.recovered;
    if (rec.fresh && !o.join) rec = await this.bootstrap(Object.keys(o.peers).sort());
    if (rec.snapshot) {
      this.restoreSnapshot(rec.snapshot);
      this.lastSnapshotIndex = rec.snapshot.meta.index;
    }
    this.durableTerm = rec.hardState.term;
    this.durableVote = rec.hardState.vote;
    this.durableLast = rec.entries[rec.entries.length - 1]?.index ?? rec.snapshot?.meta.index ?? 0;
    this.core = new RaftCore({
      id: o.id,
      electionTick: o.electionTick ?? 10,
      heartbeatTick: o.heartbeatTick ?? 1,
      random: o.random ?? Math.random,
      initial: {
        hardState: rec.hardState,
        snapshot: rec.snapshot,
        entries: rec.entries,
        // Membership always comes from the log and snapshot, founders included (see bootstrap).
        conf: { voters: [], learners: [] },
      },
      applied: rec.snapshot?.meta.index ?? 0,
      logger: { warn: (m) => this.log.warn(m), info: (m) => this.log.info?.(m) },
    });
    this.applied = rec.snapshot?.meta.index ?? 0;
    this.transport = new TcpTransport({
      id: o.id,
      listen: o.listen,
      onMessage: (m) => this.onMessage(m),
      logger: this.log,
      ...(o.tls ? { tls: o.tls } : {}),
    });
    const bound = await this.transport.start();
    for (const [id, addr] of this.addresses) this.transport.setPeer(id, addr);
    this.ticker = setInterval(() => {
      this.core.tick();
      this.schedule();
    }, o.tickMs ?? 50);
    this.schedule();
    return bound;
  }

  /**
   * Replicate `data`; resolves with the state machine's result once the entry is committed and
   * applied here. Rejects with NotLeaderError (nothing written), ProposalDroppedError (definitely
   * not committed), TimeoutError / StoppedError (outcome unknown) or StorageFailedError.
   */
  propose(data: Uint8Array, opts: { timeoutMs?: number } = {}): Promise<R | undefined> {
    return this.submit(() => this.core.propose(data), opts.timeoutMs);
  }

  /**
   * Linearizable read barrier (ReadIndex): resolves once this node has applied everything that was
   * committed when the read was issued, so reading the local state machine afterwards is linearizable.
   */
  read(opts: { timeoutMs?: number } = {}): Promise<void> {
    const err = this.unavailable();
    if (err) return Promise.reject(err);
    const key = `${this.id}/${++this.readSeq}`;
    const ctx = new TextEncoder().encode(key);
    const ms = opts.timeoutMs ?? this.opts.defaultTimeoutMs ?? 5000;
    return new Promise<void>((resolve, reject) => {
      if (!this.core.readIndex(ctx)) {
        reject(this.notLeader());
        return;
      }
      const timer = setTimeout(() => {
        this.reads.delete(key);
        reject(new TimeoutError('read', ms));
      }, ms);
      this.reads.set(key, { index: null, resolve, reject, timer });
      this.schedule();
    });
  }

  /** Add a non-voting member at `address` (its raft host:port). */
  addLearner(id: NodeId, address: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    return this.confChange('add-learner', id, address, opts.timeoutMs);
  }

  promote(id: NodeId, opts: { timeoutMs?: number } = {}): Promise<void> {
    return this.confChange('promote', id, undefined, opts.timeoutMs);
  }

  demote(id: NodeId, opts: { timeoutMs?: number } = {}): Promise<void> {
    return this.confChange('demote', id, undefined, opts.timeoutMs);
  }

  remove(id: NodeId, opts: { timeoutMs?: number } = {}): Promise<void> {
    return this.confChange('remove', id, undefined, opts.timeoutMs);
  }

  /** Uses a renewed certificate for connections made from now on. */
  updateTls(material: TlsMaterial): void {
    this.transport.updateTls(material);
  }

  /** Hand leadership to `to` (leader only; best effort). */
  transferLeadership(to: NodeId): void {
    this.core.transferLeadership(to);
    this.schedule();
  }

  status(): NodeStatus {
    return { ...this.core.status(), applied: this.applied, addresses: Object.fromEntries(this.addresses) };
  }

  get role(): Role {
    return this.soft.role;
  }

  get leader(): NodeId | null {
    return this.soft.leader;
  }

  addressOf(id: NodeId): string | undefined {
    return this.addresses.get(id);
  }

  /** The storage failure that stopped this member's writes, if any. */
  get storageFailure(): StorageFailedError | null {
    return this.failure;
  }

  /** Stop ticking and serving; pending operations fail with StoppedError. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.failAll(() => new StoppedError());
    await this.pumpDone.catch(() => undefined);
    await this.transport?.stop();
    await this.storage?.close();
  }

  // ---------------------------------------------------------------------------------------------

  private confChange(type: ConfChangeType, node: NodeId, context: string | undefined, timeoutMs?: number): Promise<void> {
    const cc: ConfChange = { type, node, ...(context !== undefined ? { context } : {}) };
    return this.submit(() => this.core.proposeConfChange(cc), timeoutMs).then(() => undefined);
  }

  private submit(
    propose: () => ReturnType<RaftCore['propose']>,
    timeoutMs: number | undefined,
  ): Promise<R | undefined> {
    const err = this.unavailable();
    if (err) return Promise.reject(err);
    const r = propose();
    if (!r.ok) {
      if (r.reason === 'not-leader') return Promise.reject(this.notLeader(r.leader));
      return Promise.reject(new ProposalRefusedError(r.reason, r.message));
    }
    const ms = timeoutMs ?? this.opts.defaultTimeoutMs ?? 5000;
    const { index, term } = r;
    return new Promise<R | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(index);
        reject(new TimeoutError(`proposal at index ${index}`, ms));
      }, ms);
      this.pending.set(index, { term, resolve, reject, timer });
      this.schedule();
    });
  }

  private unavailable(): Error | null {
    if (this.failure) return this.failure;
    if (this.stopped) return new StoppedError();
    return null;
  }

  private notLeader(leader: NodeId | null = this.core.status().leader): NotLeaderError {
    const l = leader === this.id ? null : leader;
    return new NotLeaderError(l, l === null ? null : (this.addresses.get(l) ?? null));
  }

  private onMessage(m: Message): void {
    if (this.stopped || this.failure) return;
    this.core.step(m);
    this.schedule();
  }

  /** Run the Ready loop if it is idle; otherwise it will look again when the current Ready is done. */
  private schedule(): void {
    if (this.stopped || this.failure) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    if (!this.core.hasReady()) return;
    this.pumping = true;
    this.pumpDone = this.pump().finally(() => {
      this.pumping = false;
    });
  }

  private async pump(): Promise<void> {
    // Bounded per call: yields back to the event loop between Readys anyway (each awaits an fsync
    // or a microtask), and re-schedules itself when more work arrived.
    for (let n = 0; n < 1_000_000; n++) {
      this.pumpAgain = false;
      if (this.stopped || this.failure || !this.core.hasReady()) return;
      const rd = this.core.ready();
      try {
        await this.handleReady(rd);
      } catch (e) {
        this.failStorage(e);
        return;
      }
    }
  }

  // eslint-disable-next-line complexity -- 45: the Ready steps in their documented order (persist, send, apply); to be split into one method per step
  private async handleReady(rd: Ready): Promise<void> {
    const t0 = performance.now();
    // 0. Committed entries that this member had already made durable in earlier Readys are
    // committed on a quorum and durable here: applying them (and answering their proposers) need
    // not wait for this Ready's fsync. This takes one fsync off every write's latency. Entries not
    // yet durable here (e.g. a single-member cluster commits its own unsynced entries) wait.
    let early = 0;
    if (!rd.snapshot) {
      while (early < rd.committedEntries.length && (rd.committedEntries[early] as Entry).index <= this.durableLast) early++;
      for (let i = 0; i < early; i++) this.applyEntry(rd.committedEntries[i] as Entry);
    }
    // 0b. A leader's appends go out before its own fsync (Raft thesis 10.2.1, as etcd does): the
    // leader's disk write and the followers' run in parallel, one fsync less per write. Safe here
    // because (a) appends rely only on the term, durable since the campaign, not on the entries
    // they carry being durable on the leader; (b) only appends whose commit index is already
    // durable here go early (a lone voter with learners commits its own unsynced entries at once:
    // that commit must not reach a learner before the fsync); a commit that counts the new entries
    // needs acks processed after this Ready, so it surfaces in a later Ready, which starts only after
    // this one's fsync; (c) nothing is applied before it is durable here (see 0). Every other
    // message (votes, acks) still waits for the fsync.
    const leading = (rd.softState?.role ?? this.soft.role) === 'leader';
    let rest = rd.messages;
    if (leading && rd.messages.length > 0 && rd.entries.length > 0) {
      const appends: Message[] = [];
      rest = [];
      for (const m of rd.messages) (m.type === 'append' && (m.commit ?? 0) <= this.durableLast ? appends : rest).push(m);
      if (appends.length > 0) this.transport.send(coalesceMessages(appends));
    }
    // 1. Persist (one write + fdatasync for the whole batch).
    // A Ready that only advances the commit index is not written at all: commit is volatile in raft
    // (a restarted member re-learns it from the leader) and term/vote, which must be durable, did
    // not change. The newest such hard state rides along with the next write instead.
    const hs = rd.hardState;
    const commitOnly = !rd.snapshot && rd.entries.length === 0 && hs !== undefined && hs.term === this.durableTerm && hs.vote === this.durableVote;
    if (commitOnly) {
      this.lazyHardState = hs;
    } else if (rd.snapshot || rd.entries.length > 0 || hs) {
      const write = hs ?? this.lazyHardState ?? undefined;
      await this.storage.save({
        entries: rd.entries,
        ...(write ? { hardState: write } : {}),
        ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
      });
      this.lazyHardState = null;
      if (hs) {
        this.durableTerm = hs.term;
        this.durableVote = hs.vote;
      }
      if (rd.snapshot) this.durableLast = rd.snapshot.meta.index;
      const last = rd.entries[rd.entries.length - 1];
      if (last) this.durableLast = last.index;
    }
    const t1 = performance.now();
    if (trace) {
      trace.readys++;
      trace.entries += rd.entries.length;
      trace.msgs += rd.messages.length;
      trace.saveMs += t1 - t0;
      trace.maxSaveMs = Math.max(trace.maxSaveMs, t1 - t0);
      trace.committed += rd.committedEntries.length;
    }
    if (this.stopped) return;
    // 2. Send: every message may rely on what was just made durable.
    if (rest.length > 0) this.transport.send(coalesceMessages(rest));
    // 3. Apply.
    if (rd.snapshot && rd.snapshot.meta.index > this.applied) {
      this.restoreSnapshot(rd.snapshot);
      this.lastSnapshotIndex = rd.snapshot.meta.index;
      // Our proposals below the snapshot may or may not be in it: we cannot tell.
      for (const [index, p] of this.pending) {
        if (index > rd.snapshot.meta.index) continue;
        this.pending.delete(index);
        clearTimeout(p.timer);
        p.reject(new TimeoutError(`proposal at index ${index} (outcome hidden by a snapshot)`, 0));
      }
    }
    for (let i = early; i < rd.committedEntries.length; i++) this.applyEntry(rd.committedEntries[i] as Entry);
    for (const rs of rd.readStates) {
      const key = new TextDecoder().decode(rs.context);
      const r = this.reads.get(key);
      if (r) r.index = rs.index;
    }
    this.releaseReads();
    if (rd.softState) {
      const lostLeadership = this.soft.role === 'leader' && rd.softState.role !== 'leader';
      this.soft = rd.softState;
      if (lostLeadership) this.failReadsOnLeaderChange();
    }
    // 4. Advance.
    this.core.advance(rd);
    if (rd.softState) this.opts.onSoftState?.(rd.softState);
    await this.maybeSnapshot();
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.applied) return;
    this.applied = e.index;
    let result: R | undefined;
    if (e.type === EntryType.ConfChange) this.learnAddress(e);
    else if (e.data.length > 0) result = this.sm.apply(e.data, e.index);
    const p = this.pending.get(e.index);
    if (!p) return;
    this.pending.delete(e.index);
    clearTimeout(p.timer);
    // The index is ours only if the entry applied there is the one we proposed (same term).
    if (p.term === e.term) p.resolve(result);
    else p.reject(new ProposalDroppedError(e.index, p.term));
  }

  private learnAddress(e: Entry): void {
    let cc: ConfChange;
    try {
      cc = JSON.parse(new TextDecoder().decode(e.data)) as ConfChange;
    } catch {
      return;
    }
    if (cc.type === 'remove') {
      this.addresses.delete(cc.node);
      if (cc.node !== this.id) this.transport.removePeer(cc.node);
      return;
    }
    if (typeof cc.context === 'string' && cc.context.length > 0) {
      this.addresses.set(cc.node, cc.context);
      this.transport.setPeer(cc.node, cc.context);
    }
  }

  private releaseReads(): void {
    for (const [key, r] of this.reads) {
      if (r.index === null || r.index > this.applied) continue;
      this.reads.delete(key);
      clearTimeout(r.timer);
      r.resolve();
    }
  }

  /** Reads waiting for a read state from a leader that is gone will never get one: fail fast. */
  private failReadsOnLeaderChange(): void {
    for (const [key, r] of this.reads) {
      if (r.index !== null) continue;
      this.reads.delete(key);
      clearTimeout(r.timer);
      r.reject(new NotLeaderError(null, null));
    }
  }

  private async maybeSnapshot(): Promise<void> {
    const every = this.opts.snapshotEvery ?? 10_000;
    if (this.applied - this.lastSnapshotIndex < every) return;
    const snap = this.core.compact(this.applied, this.encodeSnapshotData());
    await this.storage.saveSnapshot(snap);
    this.lastSnapshotIndex = snap.meta.index;
  }

  /**
   * A founding member's first start: the founding membership is made durable as an initial
   * snapshot at index 0 (membership + address book + the empty application image). Why: an
   * initial configuration passed at every start is wrong after a restart once members joined or
   * left (a manager restarting from disk has no founding list, and would forget the founder);
   * members that join later receive this same snapshot first, so everyone learns the founders.
   */
  private async bootstrap(founders: string[]): Promise<RecoveredState> {
    const snapshot: Snapshot = { meta: { index: 0, term: 0, conf: { voters: founders, learners: [] } }, data: this.encodeSnapshotData() };
    await this.storage.saveSnapshot(snapshot);
    return { ...this.storage.recovered, snapshot, fresh: false };
  }

  /** Snapshot data = the address book (so a restored member can reach everyone) + the application's image. */
  private encodeSnapshotData(): Uint8Array {
    const w = new BinaryWriter(1024);
    w.str(JSON.stringify(Object.fromEntries(this.addresses)));
    w.bytes(this.sm.snapshot());
    return w.finish();
  }

  private restoreSnapshot(s: Snapshot): void {
    this.applied = s.meta.index;
    if (s.data.length === 0) {
      this.sm.restore(new Uint8Array(0));
      return;
    }
    const r = new BinaryReader(s.data);
    const book = JSON.parse(r.str()) as Record<string, string>;
    for (const [id, addr] of Object.entries(book)) {
      this.addresses.set(id, addr);
      this.transport?.setPeer(id, addr);
    }
    this.sm.restore(r.bytes());
  }

  private failStorage(e: unknown): void {
    const code = e instanceof StorageWriteError ? e.code : 'EIO';
    this.failure = new StorageFailedError(
      `raft storage failed (${code}): this member stopped accepting writes; data acknowledged before is intact`,
      true,
      e,
    );
    this.log.warn(this.failure.message);
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    const f = this.failure;
    this.failAll(() => f);
    // Stop taking part: a member whose log cannot be made durable must not vote or acknowledge.
    void this.transport.stop();
  }

  private failAll(mk: () => Error): void {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(mk());
    }
    this.pending.clear();
    for (const [, r] of this.reads) {
      clearTimeout(r.timer);
      r.reject(mk());
    }
    this.reads.clear();
  }
}
