/**
 * Deterministic simulation of a Raft cluster: N cores, a lossy network, crashes and restarts from
 * durable state, partitions, membership changes and compaction, clients doing puts/gets/deletes on
 * a KV store. Virtual time in milliseconds; one seeded PRNG drives every choice, so a seed number
 * reproduces a run exactly. Safety is checked after every event; linearizability at the end.
 */
import { RaftCore } from '../../src/raft/core/index.js';
import type { Ready } from '../../src/raft/core/index.js';
import { EntryType } from '../../src/raft/types.js';
import type { ConfChange, Entry, HardState, Message, NodeId, Snapshot } from '../../src/raft/types.js';
import { InvariantViolation, SafetyChecker } from './invariants.js';
import { KvStore, decodeCommand, encodeCommand } from './kv.js';
import { checkLinearizable } from './linearizability.js';
import type { LinearizabilityResult, Operation } from './linearizability.js';
import { EventQueue } from './event-queue.js';
import { drawProfile } from './profile.js';
import type { Profile } from './profile.js';
import { Prng } from './prng.js';

const TICK_MS = 10;
const ELECTION_TICK = 10;
const HEARTBEAT_TICK = 2;
const MAX_EXTRA_SETTLE = 20_000;

export interface SimOptions {
  /** Virtual milliseconds with faults and client traffic. */
  duration: number;
  /** Quiet virtual milliseconds afterwards (faults healed) so operations can finish. */
  settle: number;
  /** Print a trace of events (for debugging one seed). */
  trace?: boolean;
  /**
   * Deliberately break the driver contract, to prove the checks catch it: 'send-before-persist'
   * sends a Ready's messages first and sometimes crashes before persisting it.
   */
  bug?: 'send-before-persist';
}

export const defaultSimOptions: SimOptions = { duration: Number(process.env.SIM_DURATION ?? 5000), settle: Number(process.env.SIM_SETTLE ?? 2000) };

export interface SimResult {
  seed: number;
  ok: boolean;
  error?: string;
  stats: {
    events: number;
    messages: number;
    opsOk: number;
    opsUnknown: number;
    leaders: number;
    confChanges: number;
    snapshotsSent: number;
    crashes: number;
    /** 1 if the cluster had not converged by the end of the quiet period (and its extension). */
    stuck: number;
    /** 1 if convergence needed more than the quiet period. */
    slow: number;
  };
  lin?: LinearizabilityResult;
}

/** What a node has made durable: survives crashes; everything else is lost. */
interface Durable {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
  conf: { voters: NodeId[]; learners: NodeId[] };
}

interface PendingProposal {
  opId: string;
  term: number;
}

interface ClientOp {
  id: string;
  hist: Operation;
  client: Client;
}

interface Client {
  id: number;
  current: ClientOp | null;
  knownLeader: NodeId | null;
  seq: number;
}

class SimNode {
  alive = true;
  core: RaftCore | null = null;
  kv = new KvStore();
  proposals = new Map<number, PendingProposal & { op: ClientOp }>();
  readsWaitingIndex = new Map<string, { op: ClientOp; key: string }>();
  readsWaitingApply: { index: number; op: ClientOp; key: string }[] = [];
  /** A Ready handed out and not yet advanced (asynchronous driver). */
  inFlight: Ready | null = null;
  constructor(
    readonly id: NodeId,
    public durable: Durable,
    readonly rng: Prng,
  ) {}
}

export class Simulation {
  private readonly rng: Prng;
  private readonly profile: Profile;
  private readonly q = new EventQueue();
  private now = 0;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly order: NodeId[] = [];
  private readonly blocked = new Set<string>();
  private readonly checker = new SafetyChecker();
  private readonly history: Operation[] = [];
  private readonly clients: Client[] = [];
  private faultsOn = true;
  private clientsOn = true;
  private nextNodeNum = 0;
  private readonly stats: SimResult['stats'] = { events: 0, messages: 0, opsOk: 0, opsUnknown: 0, leaders: 0, confChanges: 0, snapshotsSent: 0, crashes: 0, stuck: 0, slow: 0 };
  private readonly trace: boolean;

  constructor(
    readonly seed: number,
    private readonly opts: SimOptions = defaultSimOptions,
  ) {
    this.rng = new Prng(seed);
    this.profile = drawProfile(this.rng);
    this.trace = opts.trace ?? false;
  }

  private runUntil(end: number): void {
    while (this.q.size > 0 && this.q.peekTime() <= end) {
      const e = this.q.pop()!;
      this.now = e.t;
      this.stats.events++;
      e.fn();
    }
    this.now = end;
  }

  private log(msg: string): void {
    if (this.trace) console.log(`[${this.now}] ${msg}`);
  }

  run(): SimResult {
    try {
      this.setup();
      this.q.push(this.opts.duration, () => this.heal());
      this.runUntil(this.opts.duration + this.opts.settle);
      // Anything still outstanding never returned: it may or may not have happened.
      for (const c of this.clients) if (c.current) this.finish(c.current, null, false);
      // Slow configurations (one entry per message, long delays) may need longer to converge:
      // allow up to MAX_EXTRA_SETTLE more quiet time before calling it a liveness failure.
      let live = this.liveness();
      for (let extra = 0; live !== null && extra < MAX_EXTRA_SETTLE; extra += 100) {
        this.runUntil(this.now + 100);
        live = this.liveness();
        this.stats.slow = 1;
      }
      if (live !== null) this.stats.stuck = 1;
      if (live !== null && process.env.SIM_LIVENESS !== '0') return { seed: this.seed, ok: false, error: `liveness: ${live}`, stats: this.stats };
      const lin = checkLinearizable(this.history);
      this.stats.leaders = this.checker.leaderCount();
      if (!lin.ok) {
        return { seed: this.seed, ok: false, error: `linearizability violated on key ${lin.key}:\n${formatHistory(lin.history ?? [])}`, stats: this.stats, lin };
      }
      return { seed: this.seed, ok: true, stats: this.stats, lin };
    } catch (err) {
      const msg = err instanceof InvariantViolation ? err.message : err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
      return { seed: this.seed, ok: false, error: `t=${this.now}: ${msg}`, stats: this.stats };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Setup and nodes

  private newId(): NodeId {
    return `n${++this.nextNodeNum}`;
  }

  private setup(): void {
    const voters: NodeId[] = [];
    for (let i = 0; i < this.profile.nodes; i++) voters.push(this.newId());
    for (const id of voters) {
      this.addNode(id, { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [], conf: { voters: voters.slice(), learners: [] } });
    }
    for (let i = 0; i < this.profile.clients; i++) {
      const c: Client = { id: i, current: null, knownLeader: null, seq: 0 };
      this.clients.push(c);
      this.q.push(this.rng.int(50, 250), () => this.clientIssue(c));
    }
    if (this.profile.crashEvery > 0) this.schedule(this.rng.int(0, this.profile.crashEvery * 2), () => this.crashSomeone());
    if (this.profile.partitionEvery > 0) this.schedule(this.rng.int(0, this.profile.partitionEvery * 2), () => this.partition());
    if (this.profile.membership) this.schedule(this.rng.int(100, 400), () => this.admin());
    if (this.profile.transferEvery > 0) this.schedule(this.rng.int(100, this.profile.transferEvery * 2), () => this.transfer());
  }

  private schedule(t: number, fn: () => void): void {
    this.q.push(this.now + t, fn);
  }

  private addNode(id: NodeId, durable: Durable): void {
    const n = new SimNode(id, durable, this.rng.fork());
    this.nodes.set(id, n);
    this.order.push(id);
    this.start(n);
  }

  private start(n: SimNode): void {
    const d = n.durable;
    n.alive = true;
    n.kv = new KvStore();
    if (d.snapshot) n.kv.restore(d.snapshot.data);
    n.proposals.clear();
    n.readsWaitingIndex.clear();
    n.readsWaitingApply = [];
    n.inFlight = null;
    const rng = n.rng;
    n.core = new RaftCore({
      id: n.id,
      electionTick: ELECTION_TICK,
      heartbeatTick: HEARTBEAT_TICK,
      random: () => rng.next(),
      preVote: this.profile.preVote,
      checkQuorum: this.profile.checkQuorum,
      maxInflightMsgs: this.profile.maxInflight,
      maxSizePerMsg: this.profile.maxSizePerMsg,
      initial: { hardState: { ...d.hardState }, snapshot: d.snapshot, entries: d.entries.slice(), conf: d.conf },
      ...(this.trace ? { logger: { info: (msg: string) => this.log(msg), warn: (msg: string) => this.log(msg) } } : {}),
    });
    this.checker.resetApplied(n.id, d.snapshot?.meta.index ?? 0);
    this.log(`${n.id} starts (term ${d.hardState.term}, commit ${d.hardState.commit}, snap ${d.snapshot?.meta.index ?? 0}, ${d.entries.length} entries)`);
    const phase = this.rng.int(1, TICK_MS);
    const core = n.core;
    const tick = (): void => {
      if (!n.alive || n.core !== core) return;
      core.tick();
      this.process(n);
      this.schedule(TICK_MS, tick);
    };
    this.schedule(phase, tick);
  }

  private crash(n: SimNode, why: string): void {
    if (!n.alive) return;
    this.log(`${n.id} crashes (${why})`);
    this.stats.crashes++;
    n.alive = false;
    n.core = null;
    for (const p of n.proposals.values()) this.finish(p.op, null, false);
    for (const r of n.readsWaitingIndex.values()) this.finish(r.op, null, false);
    for (const r of n.readsWaitingApply) this.finish(r.op, null, false);
    n.proposals.clear();
    n.readsWaitingIndex.clear();
    n.readsWaitingApply = [];
  }

  // ---------------------------------------------------------------------------------------------
  // The driver loop: what a real node driver does with Ready

  private process(n: SimNode): void {
    for (let guard = 0; n.alive && n.core && !n.inFlight && n.core.hasReady(); guard++) {
      if (guard > 1000) throw new Error(`${n.id}: Ready loop does not converge`);
      const core = n.core;
      const rd = core.ready();
      // Observe the log as the Ready describes it now: with an asynchronous driver the core moves on.
      if (rd.entries.length > 0) this.checker.observeAppended(n.id, rd.entries, core);
      if (rd.softState?.role === 'leader' && core.status().role === 'leader') {
        if (this.checker.observeLeader(n.id, core.status().term, core)) this.log(`${n.id} leads term ${core.status().term}`);
      }
      if (this.profile.asyncDriver) {
        // Like a driver awaiting fsync: the core keeps taking ticks and messages meanwhile, and the
        // Ready completes (persist, send, apply, advance) later, unless the node crashes first.
        n.inFlight = rd;
        if (this.profile.earlyAppends && core.status().role === 'leader' && rd.entries.length > 0) {
          // The node driver's optimisation (thesis §10.2.1): a leader's appends whose commit index
          // is already durable here go out before its own fsync.
          const d = n.durable;
          const durableLast = d.entries[d.entries.length - 1]?.index ?? d.snapshot?.meta.index ?? 0;
          const early = rd.messages.filter((m) => m.type === 'append' && (m.commit ?? 0) <= durableLast);
          for (const m of early) this.sendMsg(m);
          rd.messages = rd.messages.filter((m) => !early.includes(m));
          if (early.length > 0 && this.faultsOn && this.rng.chance(this.profile.crashBetweenPersistAndSend * this.profile.leaderCrashBoost)) {
            // The window this optimisation opens: appends sent, the leader's own write lost.
            this.crash(n, 'leader sent appends early, crashed before its fsync');
            this.scheduleRestart(n);
            return;
          }
        }
        this.schedule(this.rng.int(0, 4), () => {
          if (!n.alive || n.core !== core || n.inFlight !== rd) return;
          this.handleReady(n, core, rd);
          if (!n.alive) return;
          n.inFlight = null;
          core.advance(rd);
          this.afterAdvance(n, core);
          this.process(n);
        });
        return;
      }
      this.handleReady(n, core, rd);
      if (!n.alive) return;
      core.advance(rd);
      this.afterAdvance(n, core);
    }
  }

  private handleReady(n: SimNode, core: RaftCore, rd: Ready): void {
    if (this.opts.bug === 'send-before-persist') {
      for (const m of rd.messages) this.sendMsg(m);
      rd = { ...rd, messages: [] };
      if (this.rng.chance(0.05)) {
        this.crash(n, 'BUG: sent before persisting');
        this.scheduleRestart(n);
        return;
      }
    }
    // 1. Persist: snapshot, entries, hard state (atomically, as the WAL does in one record batch).
    const d = n.durable;
    if (rd.snapshot) {
      d.snapshot = rd.snapshot;
      // A snapshot from the leader replaces the whole log (the core's log restarts after it too).
      d.entries = [];
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      const base = d.snapshot?.meta.index ?? 0;
      d.entries = d.entries.slice(0, Math.max(0, first - base - 1));
      if ((d.entries[d.entries.length - 1]?.index ?? base) !== first - 1) throw new Error(`${n.id}: durable log gap before ${first}`);
      d.entries.push(...rd.entries);
    }
    if (rd.hardState && this.faultsOn && this.profile.tornPersist && this.rng.chance(this.profile.crashBetweenPersistAndSend)) {
      // Storage that writes entries and the hard state in separate records can be cut in between.
      this.crash(n, 'after persisting entries, before the hard state');
      this.scheduleRestart(n);
      return;
    }
    if (rd.hardState) d.hardState = { ...rd.hardState };


    // A crash here loses the messages but not what was just persisted.
    // Leaders that die right after appending (their election entry or a proposal) before anyone
    // hears of it leave the divergent logs of the paper's Figure 8.
    const p = this.profile.crashBetweenPersistAndSend * (rd.softState?.role === 'leader' || (core.status().role === 'leader' && rd.entries.length > 0) ? this.profile.leaderCrashBoost : 1);
    if (this.faultsOn && this.rng.chance(p)) {
      this.crash(n, 'between persist and send');
      this.scheduleRestart(n);
      return;
    }

    // 2. Send.
    for (const m of rd.messages) this.sendMsg(m);

    // 3. Apply.
    if (rd.snapshot) {
      n.kv.restore(rd.snapshot.data);
      this.checker.observeImage(n.id, rd.snapshot.meta.index, new TextDecoder().decode(n.kv.snapshot()));
      this.checker.observeRestored(n.id, rd.snapshot.meta.index);
    }
    for (const e of rd.committedEntries) this.applyEntry(n, e);
    for (const rs of rd.readStates) {
      const key = ctxKey(rs.context);
      const w = n.readsWaitingIndex.get(key);
      if (!w) continue;
      n.readsWaitingIndex.delete(key);
      n.readsWaitingApply.push({ index: rs.index, op: w.op, key: w.key });
    }
  }

  private afterAdvance(n: SimNode, core: RaftCore): void {
    const st = core.status();
    if (st.role === 'leader') this.checker.observeLeader(n.id, st.term, core);
    // Replayed or replicated, the state at an index is the same everywhere.
    if (this.checker.hasImage(st.applied)) this.checker.observeImage(n.id, st.applied, new TextDecoder().decode(n.kv.snapshot()));
    // Serve reads whose read point is applied.
    if (n.readsWaitingApply.length > 0) {
      const rest: typeof n.readsWaitingApply = [];
      for (const r of n.readsWaitingApply) {
        if (r.index <= st.applied) this.finish(r.op, n.kv.get(r.key), true);
        else rest.push(r);
      }
      n.readsWaitingApply = rest;
    }
    // Compaction: snapshot the KV at the applied index and drop the log prefix.
    const pc = this.profile.compactEvery;
    if (pc > 0 && st.applied - st.snapshotIndex >= pc) {
      {
        // The KV reflects `applied`, so the snapshot is taken exactly there.
        const image = n.kv.snapshot();
        this.checker.observeImage(n.id, st.applied, new TextDecoder().decode(image));
        const snap = core.compact(st.applied, image);
        n.durable.snapshot = snap;
        n.durable.entries = n.durable.entries.filter((e) => e.index > snap.meta.index);
        this.log(`${n.id} compacts to ${snap.meta.index}`);
      }
    }
  }

  private applyEntry(n: SimNode, e: Entry): void {
    this.checker.observeApplied(n.id, e);
    if (e.type === EntryType.Normal) {
      const cmd = decodeCommand(e.data);
      if (cmd) n.kv.apply(cmd);
      const p = n.proposals.get(e.index);
      if (p) {
        n.proposals.delete(e.index);
        if (cmd && cmd.op === p.opId) this.finish(p.op, undefined, true);
        else this.finish(p.op, null, false); // our entry lost its slot: not applied there
      }
    } else {
      this.stats.confChanges++;
      const p = n.proposals.get(e.index);
      if (p) n.proposals.delete(e.index);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Network

  private sendMsg(m: Message): void {
    this.stats.messages++;
    if (m.type === 'snapshot') this.stats.snapshotsSent++;
    if (this.faultsOn && this.rng.chance(this.profile.drop)) return;
    const copies = this.faultsOn && this.rng.chance(this.profile.dup) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.schedule(this.rng.int(1, this.profile.maxDelay), () => this.deliver(m));
    }
  }

  private deliver(m: Message): void {
    if (this.trace && process.env.TRACE_NODE && (m.to === process.env.TRACE_NODE || m.from === process.env.TRACE_NODE)) {
      this.log(`${this.blocked.has(`${m.from}>${m.to}`) ? 'BLOCKED ' : ''}${m.type} ${m.from}->${m.to} t${m.term} idx=${m.index ?? ''} lt=${m.logTerm ?? ''} n=${m.entries?.length ?? ''} c=${m.commit ?? ''} rej=${m.reject ?? ''} hint=${m.rejectHint ?? ''}`);
    }
    if (this.blocked.has(`${m.from}>${m.to}`)) return;
    const n = this.nodes.get(m.to);
    if (!n || !n.alive || !n.core) return;
    n.core.step(m);
    this.process(n);
  }

  // ---------------------------------------------------------------------------------------------
  // Faults

  private aliveNodes(): SimNode[] {
    return this.order.map((id) => this.nodes.get(id)!).filter((n) => n.alive);
  }

  private scheduleRestart(n: SimNode): void {
    this.schedule(this.rng.int(20, 400), () => {
      if (!n.alive) this.start(n);
    });
  }

  private crashSomeone(): void {
    if (!this.faultsOn) return;
    const alive = this.aliveNodes();
    if (alive.length > 0) {
      // Leaders are where the interesting interleavings are: crash them more often.
      const l = this.leader();
      const n = l && this.rng.chance(0.5) ? l : this.rng.pick(alive);
      this.crash(n, 'random');
      this.scheduleRestart(n);
    }
    this.schedule(this.rng.int(1, this.profile.crashEvery * 2), () => this.crashSomeone());
  }

  private partition(): void {
    if (!this.faultsOn) return;
    this.blocked.clear();
    const ids = this.order.slice();
    const kind = this.rng.int(0, 2);
    if (kind === 0) {
      // Isolate one node both ways.
      const l = this.leader();
      const x = l && this.rng.chance(0.5) ? l.id : this.rng.pick(ids);
      for (const y of ids) if (y !== x) this.blocked.add(`${x}>${y}`).add(`${y}>${x}`);
      this.log(`partition: isolate ${x}`);
    } else if (kind === 1) {
      // Split into two sides.
      const side = new Set(ids.filter(() => this.rng.chance(0.5)));
      for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) this.blocked.add(`${a}>${b}`);
      this.log(`partition: split ${[...side].join(',')} | rest`);
    } else {
      // Asymmetric: some one-way links fail.
      for (const a of ids) for (const b of ids) if (a !== b && this.rng.chance(0.3)) this.blocked.add(`${a}>${b}`);
      this.log(`partition: asymmetric ${[...this.blocked].join(' ')}`);
    }
    this.schedule(this.rng.int(50, 500), () => {
      this.blocked.clear();
      this.log('partition healed');
    });
    this.schedule(this.rng.int(1, this.profile.partitionEvery * 2), () => this.partition());
  }

  private heal(): void {
    this.faultsOn = false;
    this.clientsOn = false;
    this.blocked.clear();
    for (const n of this.nodes.values()) if (!n.alive) this.start(n);
    this.log('faults off, all healed');
  }

  /** After the quiet period: one leader, and every member of its configuration caught up. */
  private liveness(): string | null {
    // Without pre-vote and check-quorum, a removed node that never learnt of its removal keeps
    // deposing leaders with ever higher terms (thesis §4.2.3): expected, so not checked.
    if (!this.profile.preVote && !this.profile.checkQuorum) return null;
    const l = this.leader();
    if (!l) return 'no leader after the quiet period';
    const st = l.core!.status();
    for (const id of [...st.conf.voters, ...st.conf.learners]) {
      const n = this.nodes.get(id);
      if (!n || !n.core) return `${id} is not running`;
      const ns = n.core.status();
      if (ns.commit < st.commit) return `${id} commit ${ns.commit} behind leader ${l.id} commit ${st.commit} (progress ${JSON.stringify(st.progress?.[id])})`;
    }
    return null;
  }

  private leader(): SimNode | null {
    let best: SimNode | null = null;
    let bestTerm = -1;
    for (const n of this.aliveNodes()) {
      const st = n.core!.status();
      if (st.role === 'leader' && st.term > bestTerm) {
        best = n;
        bestTerm = st.term;
      }
    }
    return best;
  }

  private transfer(): void {
    if (!this.faultsOn) return;
    const l = this.leader();
    if (l) {
      const voters = l.core!.status().conf.voters.filter((v) => v !== l.id);
      if (voters.length > 0) {
        const to = this.rng.pick(voters);
        this.log(`transfer ${l.id} -> ${to}`);
        l.core!.transferLeadership(to);
        this.process(l);
      }
    }
    this.schedule(this.rng.int(1, this.profile.transferEvery * 2), () => this.transfer());
  }

  /** Membership workload: add learners, promote them once caught up, demote and remove members. */
  private admin(): void {
    if (!this.faultsOn) return;
    this.schedule(this.rng.int(100, 300), () => this.admin());
    const l = this.leader();
    if (!l) return;
    const st = l.core!.status();
    const { voters, learners } = st.conf;
    let cc: ConfChange | null = null;
    const caughtUp = learners.filter((x) => (st.progress?.[x]?.match ?? 0) >= st.commit);
    if (caughtUp.length > 0 && voters.length < 5 && this.rng.chance(0.7)) {
      cc = { type: 'promote', node: this.rng.pick(caughtUp) };
    } else if ((voters.length < 3 || this.rng.chance(0.4)) && this.nextNodeNum < 9 && learners.length < 2) {
      cc = { type: 'add-learner', node: `n${this.nextNodeNum + 1}`, context: 'sim' };
    } else if (voters.length > 3 && this.rng.chance(0.5)) {
      cc = { type: this.rng.chance(0.5) ? 'demote' : 'remove', node: this.rng.pick(voters) };
    } else if (learners.length > 0 && this.rng.chance(0.3)) {
      cc = { type: 'remove', node: this.rng.pick(learners) };
    }
    if (!cc) return;
    const r = l.core!.proposeConfChange(cc);
    this.log(`admin ${cc.type} ${cc.node} at ${l.id}: ${r.ok ? `index ${r.index}` : r.reason}`);
    if (r.ok && cc.type === 'add-learner') {
      const id = this.newId();
      // A joiner starts empty and learns everything (membership included) from the leader.
      this.addNode(id, { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [], conf: { voters: [], learners: [] } });
    }
    this.process(l);
  }

  // ---------------------------------------------------------------------------------------------
  // Clients

  private clientIssue(c: Client): void {
    if (!this.clientsOn || c.current) return;
    const alive = this.aliveNodes().filter((n) => n.core!.status().conf.voters.length > 0);
    if (alive.length === 0) {
      this.schedule(20, () => this.clientIssue(c));
      return;
    }
    const known = c.knownLeader ? this.nodes.get(c.knownLeader) : undefined;
    const n = known && known.alive && this.rng.chance(0.8) ? known : this.rng.pick(alive);
    const core = n.core!;
    const key = `k${this.rng.int(1, this.profile.keys)}`;
    const r = this.rng.next();
    const opId = `c${c.id}-${++c.seq}`;
    if (r < 0.45) {
      // Linearizable get via ReadIndex, served by whichever node the client picked.
      const ctx = new TextEncoder().encode(opId);
      if (!core.readIndex(ctx)) {
        this.schedule(this.rng.int(5, 30), () => this.clientIssue(c));
        return;
      }
      const hist: Operation = { client: c.id, kind: 'get', key, call: this.now, return: null };
      const op: ClientOp = { id: opId, hist, client: c };
      this.begin(c, op);
      n.readsWaitingIndex.set(ctxKey(ctx), { op, key });
      this.process(n);
      return;
    }
    const kind = r < 0.9 ? 'put' : 'delete';
    const value = kind === 'put' ? opId : undefined;
    const res = core.propose(encodeCommand({ op: opId, kind, key, ...(value !== undefined ? { value } : {}) }));
    if (!res.ok) {
      c.knownLeader = res.leader;
      this.schedule(this.rng.int(5, 30), () => this.clientIssue(c));
      return;
    }
    c.knownLeader = n.id;
    const hist: Operation = { client: c.id, kind, key, call: this.now, return: null };
    if (value !== undefined) hist.value = value;
    const op: ClientOp = { id: opId, hist, client: c };
    this.begin(c, op);
    n.proposals.set(res.index, { opId, term: res.term, op });
    this.process(n);
  }

  private begin(c: Client, op: ClientOp): void {
    c.current = op;
    this.history.push(op.hist);
    this.schedule(300, () => this.finish(op, null, false));
  }

  /** Complete an operation: ok with output, or unknown outcome (return stays null). */
  private finish(op: ClientOp, output: string | null | undefined, ok: boolean): void {
    const c = op.client;
    if (c.current !== op) return;
    c.current = null;
    if (ok) {
      op.hist.return = this.now;
      if (op.hist.kind === 'get') op.hist.output = output ?? null;
      this.stats.opsOk++;
    } else {
      this.stats.opsUnknown++;
    }
    if (this.clientsOn) this.schedule(this.rng.int(0, 20), () => this.clientIssue(c));
  }
}

function ctxKey(ctx: Uint8Array): string {
  return new TextDecoder().decode(ctx);
}

function formatHistory(ops: readonly Operation[]): string {
  return ops
    .map((o) => `  [${o.call}, ${o.return ?? '∞'}] c${o.client} ${o.kind}(${o.key}${o.value !== undefined ? `, ${o.value}` : ''})${o.kind === 'get' ? ` -> ${o.output ?? 'null'}` : ''}`)
    .join('\n');
}

export function runSeed(seed: number, opts: SimOptions = defaultSimOptions): SimResult {
  return new Simulation(seed, opts).run();
}
