/**
 * An in-memory harness for core unit tests (after etcd's raft_test.go network): several cores,
 * messages delivered synchronously in rounds, with cut links and isolated nodes. Persistence is
 * instantaneous and lossless here; crashes and timing belong to the simulator in test/sim.
 */
import { RaftCore } from '../../../src/raft/core/index.js';
import type { RaftConfig, ReadState } from '../../../src/raft/core/index.js';
import { type ConfState, type Entry, EntryType, type Message, type NodeId } from '../../../src/raft/types.js';
import { Prng } from '../../sim/prng.js';

export interface NetOptions {
  preVote?: boolean;
  checkQuorum?: boolean;
  maxInflightMsgs?: number;
  maxSizePerMsg?: number;
  learners?: NodeId[];
  seed?: number;
}

export class Net {
  readonly cores = new Map<NodeId, RaftCore>();
  readonly applied = new Map<NodeId, Entry[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  readonly snapshotsRestored = new Map<NodeId, number>();
  /** Messages sent but not delivered yet. */
  pending: Message[] = [];
  /** Every message ever sent, for assertions on traffic. */
  readonly sent: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly rng: Prng;
  /** Drop messages matching this predicate (in addition to cut links). */
  dropIf: (m: Message) => boolean = () => false;

  constructor(
    voters: NodeId[],
    private readonly opts: NetOptions = {},
  ) {
    this.rng = new Prng(opts.seed ?? 1);
    const conf: ConfState = { voters: voters.slice(), learners: (opts.learners ?? []).slice() };
    for (const id of [...voters, ...conf.learners]) this.addCore(id, conf);
  }

  config(id: NodeId, conf: ConfState): RaftConfig {
    const rng = this.rng.fork();
    return {
      id,
      electionTick: 10,
      heartbeatTick: 1,
      random: () => rng.next(),
      preVote: this.opts.preVote ?? false,
      checkQuorum: this.opts.checkQuorum ?? false,
      maxInflightMsgs: this.opts.maxInflightMsgs ?? 256,
      maxSizePerMsg: this.opts.maxSizePerMsg ?? 1 << 20,
      initial: { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [], conf },
    };
  }

  addCore(id: NodeId, conf: ConfState, config?: Partial<RaftConfig>): RaftCore {
    const core = new RaftCore({ ...this.config(id, conf), ...config });
    this.cores.set(id, core);
    this.applied.set(id, []);
    this.readStates.set(id, []);
    return core;
  }

  core(id: NodeId): RaftCore {
    const c = this.cores.get(id);
    if (!c) throw new Error(`no core ${id}`);
    return c;
  }

  /** Drain every core's Ready: "persist", queue messages, apply, advance. */
  flush(): void {
    for (const [id, core] of this.cores) {
      while (core.hasReady()) {
        const rd = core.ready();
        if (rd.snapshot) {
          this.snapshotsRestored.set(id, rd.snapshot.meta.index);
          this.applied.set(id, []);
        }
        for (const m of rd.messages) {
          this.sent.push(m);
          this.pending.push(m);
        }
        this.applied.get(id)!.push(...rd.committedEntries);
        this.readStates.get(id)!.push(...rd.readStates);
        core.advance(rd);
      }
    }
  }

  /** Deliver what is pending (one round); returns how many were delivered. */
  deliverRound(): number {
    this.flush();
    const msgs = this.pending;
    this.pending = [];
    let n = 0;
    for (const m of msgs) {
      if (this.cut.has(`${m.from}>${m.to}`) || this.dropIf(m)) continue;
      const to = this.cores.get(m.to);
      if (!to) continue;
      to.step(m);
      n++;
    }
    this.flush();
    return n;
  }

  /** Deliver until no messages remain. */
  stabilize(maxRounds = 200): void {
    for (let i = 0; i < maxRounds; i++) {
      this.flush();
      if (this.pending.length === 0) return;
      this.deliverRound();
    }
    throw new Error('network did not stabilize');
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.core(id).tick();
    this.flush();
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) for (const c of this.cores.values()) c.tick();
    this.flush();
  }

  /** Ticks everyone one tick at a time, delivering in between, n times. */
  run(n: number): void {
    for (let i = 0; i < n; i++) {
      this.tickAll(1);
      this.stabilize();
    }
  }

  campaign(id: NodeId): void {
    this.core(id).campaign();
    this.stabilize();
  }

  isolate(id: NodeId): void {
    for (const other of this.cores.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`).add(`${other}>${id}`);
    }
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`).add(`${b}>${a}`);
  }

  heal(): void {
    this.cut.clear();
  }

  leaders(): NodeId[] {
    return [...this.cores].filter(([, c]) => c.status().role === 'leader').map(([id]) => id);
  }

  propose(id: NodeId, text: string): void {
    const r = this.core(id).propose(new TextEncoder().encode(text));
    if (!r.ok) throw new Error(`propose at ${id}: ${r.message}`);
    this.stabilize();
  }

  /** Application data applied by id, as strings (empty entries skipped). */
  appliedData(id: NodeId): string[] {
    return this.applied
      .get(id)!
      .filter((e) => e.data.byteLength > 0 && e.type === EntryType.Normal)
      .map((e) => new TextDecoder().decode(e.data));
  }
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
