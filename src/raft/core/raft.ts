/**
 * The Raft state machine, driven like etcd's RawNode. Pure: every input is a method call (tick,
 * step, propose, ...), every output is queued and handed out by ready(). The role is a field and
 * step/tick dispatch on it, as etcd swaps step functions.
 */
import { EntryType } from '../types.js';
import type { ConfChange, ConfState, Entry, HardState, Message, MessageType, NodeId, Snapshot } from '../types.js';
import type { ProposeResult, RaftConfig, RaftLogger, ReadState, Ready, Role, SoftState, Status, PeerProgress } from './api.js';
import {
  applyConfChange,
  cloneConf,
  decodeConfChange,
  encodeConfChange,
  isEmptyConf,
  isLearner,
  isVoter,
  quorum,
  validateConfChange,
} from './conf.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { ReadOnlyQueue } from './read-only.js';

type State = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Vote requests carrying this context come from a leadership transfer and bypass the leader lease. */
const TRANSFER_CONTEXT = new TextEncoder().encode('raft:transfer');

function isTransfer(ctx: Uint8Array | undefined): boolean {
  if (!ctx || ctx.byteLength !== TRANSFER_CONTEXT.byteLength) return false;
  for (let i = 0; i < ctx.byteLength; i++) if (ctx[i] !== TRANSFER_CONTEXT[i]) return false;
  return true;
}

const noopLogger: RaftLogger = {};

export class RaftCore {
  readonly id: NodeId;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly random: () => number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxInflight: number;
  private readonly maxSizePerMsg: number;
  private readonly logger: RaftLogger;

  private term = 0;
  private vote: NodeId | null = null;
  private state: State = 'follower';
  private lead: NodeId | null = null;
  private readonly log: RaftLog;
  /** Membership as of the applied index (changes take effect when applied; see specs/raft.md). */
  private conf: ConfState;
  /** Applied membership changes after the snapshot, to know the membership at any applied index. */
  private confHistory: { index: number; conf: ConfState }[] = [];

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  // Candidate state.
  private votes = new Map<NodeId, boolean>();

  // Leader state.
  private progress = new Map<NodeId, Progress>();
  private leadTransferee: NodeId | null = null;
  /** Index of the latest membership change proposed (or of this term's first entry); see proposeConfChange. */
  private pendingConfIndex = 0;
  private readonly readOnly = new ReadOnlyQueue();
  /** Reads that arrived before this leader committed an entry of its term. */
  private pendingReads: { context: Uint8Array; from: NodeId }[] = [];

  // Output.
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(config: RaftConfig) {
    this.id = config.id;
    this.electionTimeout = config.electionTick ?? 10;
    this.heartbeatTimeout = config.heartbeatTick ?? 1;
    if (this.heartbeatTimeout <= 0 || this.electionTimeout <= this.heartbeatTimeout) {
      throw new Error(`raft: need 0 < heartbeatTick (${this.heartbeatTimeout}) < electionTick (${this.electionTimeout})`);
    }
    this.random = config.random;
    this.preVote = config.preVote ?? true;
    this.checkQuorum = config.checkQuorum ?? true;
    this.maxInflight = Math.max(1, config.maxInflightMsgs ?? 256);
    this.maxSizePerMsg = Math.max(1, config.maxSizePerMsg ?? 1024 * 1024);
    this.logger = config.logger ?? noopLogger;

    const init = config.initial;
    const snap: Snapshot = init.snapshot ?? { meta: { index: 0, term: 0, conf: cloneConf(init.conf) }, data: new Uint8Array() };
    const hs = init.hardState;
    this.log = new RaftLog(snap, init.entries, hs.commit, config.applied ?? snap.meta.index);
    this.term = hs.term;
    this.vote = hs.vote;
    this.conf = cloneConf(snap.meta.conf);
    // Entries up to `applied` are already reflected in the application; so are their membership changes.
    for (let i = this.log.firstIndex(); i <= this.log.applied; i++) this.applyConfEntry(this.log.entry(i)!);
    this.prevHard = { term: this.term, vote: this.vote, commit: this.log.committed };
    this.becomeFollower(this.term, null);
    this.prevSoft = this.softState();
  }

  // ---------------------------------------------------------------------------------------------
  // Driver API

  /** Advance logical time by one tick. */
  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /** Start an election now (as if the election timer fired). Ignored for learners and non-members. */
  campaign(): void {
    this.hup(false);
  }

  /** Propose application data. Only the leader accepts; others say who the leader is. */
  propose(data: Uint8Array): ProposeResult {
    return this.proposeEntry(EntryType.Normal, data);
  }

  /**
   * Propose a membership change. Rejected while another change is proposed but not yet applied on
   * this leader, and before this leader has applied an entry of its own term.
   */
  proposeConfChange(cc: ConfChange): ProposeResult {
    if (this.state !== 'leader') return this.notLeader();
    if (this.pendingConfIndex > this.log.applied) {
      return { ok: false, reason: 'conf-change-pending', leader: this.id, message: `a membership change at ${this.pendingConfIndex} is not applied yet (applied ${this.log.applied})` };
    }
    const why = validateConfChange(this.conf, cc);
    if (why !== null) return { ok: false, reason: 'conf-change-invalid', leader: this.id, message: why };
    const r = this.proposeEntry(EntryType.ConfChange, encodeConfChange(cc));
    if (r.ok) this.pendingConfIndex = r.index;
    return r;
  }

  /**
   * Ask for a linearizable read point. The answer arrives in Ready.readStates with the same context
   * (which should be unique per request). Returns false if it was dropped (no known leader); reads
   * can also be dropped silently when leadership changes, so callers time out and retry.
   */
  readIndex(context: Uint8Array): boolean {
    if (this.state === 'leader') {
      this.leaderReadIndex(context, this.id);
      return true;
    }
    if (this.lead === null) return false;
    // term 0: read-index traffic is not part of the term protocol (a stale one is still safe: see leaderReadIndex).
    this.send({ type: 'read-index', to: this.lead, term: 0, context });
    return true;
  }

  /** Ask the leader (this node) to hand leadership to `to`. Ignored on followers. */
  transferLeadership(to: NodeId): void {
    if (this.state !== 'leader') return;
    if (to === this.id || !isVoter(this.conf, to)) return;
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    // The transfer must finish within an election timeout, else it is abandoned (tickHeartbeat).
    this.electionElapsed = 0;
    const pr = this.progress.get(to);
    if (!pr) return;
    if (pr.match === this.log.lastIndex()) this.send({ type: 'timeout-now', to, term: this.term });
    else this.sendAppend(to);
  }

  hasReady(): boolean {
    if (this.msgs.length > 0 || this.readStates.length > 0) return true;
    if (this.log.unstableEntries().length > 0 || this.log.pendingSnapshot !== null) return true;
    if (this.log.nextCommitted().length > 0) return true;
    if (!hardEqual(this.hardState(), this.prevHard)) return true;
    const ss = this.softState();
    return ss.leader !== this.prevSoft.leader || ss.role !== this.prevSoft.role;
  }

  /** Everything to persist, send and apply, in the order documented on {@link Ready}. */
  ready(): Ready {
    const rd: Ready = {
      entries: this.log.unstableEntries(),
      committedEntries: this.log.nextCommitted(),
      messages: this.msgs,
      readStates: this.readStates,
    };
    this.msgs = [];
    this.readStates = [];
    const ss = this.softState();
    if (ss.leader !== this.prevSoft.leader || ss.role !== this.prevSoft.role) rd.softState = ss;
    const hs = this.hardState();
    if (!hardEqual(hs, this.prevHard)) rd.hardState = hs;
    if (this.log.pendingSnapshot) rd.snapshot = this.log.pendingSnapshot;
    return rd;
  }

  /** The driver has persisted, sent and applied what rd asked for. */
  advance(rd: Ready): void {
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot && this.log.pendingSnapshot === rd.snapshot) {
      this.log.pendingSnapshot = null;
      this.log.applied = Math.max(this.log.applied, rd.snapshot.meta.index);
      this.confHistory = [];
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) this.log.stableTo(last.index, last.term);
    for (const e of rd.committedEntries) {
      if (e.index !== this.log.applied + 1) continue;
      this.log.applied = e.index;
      // A snapshot restored between ready() and advance() already holds this entry's effect
      // (membership included): applying an old change on top of it would corrupt the membership.
      if (e.index <= this.log.snapIndex()) continue;
      this.applyConfEntry(e);
    }
  }

  status(): Status {
    const st: Status = {
      id: this.id,
      role: this.role(),
      term: this.term,
      vote: this.vote,
      leader: this.lead,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      snapshotIndex: this.log.snapIndex(),
      conf: cloneConf(this.conf),
    };
    if (this.state === 'leader') {
      const progress: Record<NodeId, PeerProgress> = {};
      for (const [id, pr] of this.progress) {
        progress[id] = { match: pr.match, next: pr.next, state: pr.state, learner: pr.learner, recentActive: pr.recentActive };
      }
      st.progress = progress;
      st.leadTransferee = this.leadTransferee;
    }
    return st;
  }

  /**
   * The application has captured its state machine at `index` (<= applied) in `data`. Records the
   * snapshot (with the membership at that index), keeps it to send to lagging followers, and drops
   * the log prefix up to index: a follower that needs an entry at or below it gets the snapshot. To
   * spare slightly slow followers a snapshot, call it with an index some way below `applied` (the
   * application then needs an image of that older state). Returns the snapshot for the driver to
   * persist before truncating its WAL.
   */
  compact(index: number, data: Uint8Array): Snapshot {
    if (index > this.log.applied) throw new Error(`raft: cannot snapshot at ${index}, applied is ${this.log.applied}`);
    if (index <= this.log.snapIndex()) return this.log.snapshot;
    const term = this.log.term(index);
    if (term === null) throw new Error(`raft: no term for index ${index}`);
    const snap: Snapshot = { meta: { index, term, conf: this.confAt(index) }, data };
    this.log.compact(snap);
    this.confHistory = this.confHistory.filter((h) => h.index > index);
    return snap;
  }

  /** Diagnostic: the term of the entry at index in this node's log, null if compacted or absent. */
  termAt(index: number): number | null {
    return this.log.term(index);
  }

  /** Diagnostic: the entry at index in this node's in-memory log (undefined if compacted/absent). */
  entryAt(index: number): Entry | undefined {
    return this.log.entry(index);
  }

  // ---------------------------------------------------------------------------------------------
  // Inbound messages

  // eslint-disable-next-line complexity -- 32: term and message-type dispatch, kept in one place as in etcd/raft Step
  step(m: Message): void {
    if (m.term > 0 && m.term > this.term) {
      if (m.type === 'vote' || m.type === 'prevote') {
        // Leader lease (check-quorum): while we hear from a live leader, ignore candidates. This is
        // what keeps a partitioned node that rejoins with a higher term from deposing a healthy leader.
        const inLease = this.checkQuorum && this.lead !== null && this.electionElapsed < this.electionTimeout;
        if (inLease && !isTransfer(m.context)) {
          this.logger.debug?.(`${this.id} [term ${this.term}] ignores ${m.type} from ${m.from} (term ${m.term}): leader lease`);
          return;
        }
      }
      if (m.type === 'prevote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'prevote-resp' && !m.reject) {
        // Granted pre-votes carry the future term; the term moves only once we really campaign.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term > 0 && m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // A stale leader cut off by a partition would otherwise never learn the new term when both
        // pre-vote and check-quorum keep us from raising terms in its direction.
        this.send({ type: 'append-resp', to: m.from, term: this.term });
      } else if (m.type === 'prevote') {
        this.send({ type: 'prevote-resp', to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'prevote') {
      this.handleVoteRequest(m);
      return;
    }
    if (m.type === 'read-index-resp') {
      // Valid whatever our role now: the leader that sent it confirmed its leadership after the
      // request reached it, so the index covers every write acknowledged before the read began.
      if (m.context) this.readStates.push({ index: m.index ?? 0, context: m.context });
      return;
    }
    switch (this.state) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  private handleVoteRequest(m: Message): void {
    const respType: MessageType = m.type === 'vote' ? 'vote-resp' : 'prevote-resp';
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.lead === null) ||
      (m.type === 'prevote' && m.term > this.term);
    // Note: learners and non-members answer too (as in etcd): a learner may have been promoted
    // without having applied it yet, and the candidate only counts votes of its own voters.
    if (canVote && this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        break;
      case 'snapshot':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        break;
      case 'timeout-now':
        // Transfer: campaign at once, skipping pre-vote and the lease of other voters.
        this.hup(true);
        break;
      default:
        break;
    }
  }

  private stepCandidate(m: Message): void {
    const myResp: MessageType = this.state === 'pre-candidate' ? 'prevote-resp' : 'vote-resp';
    switch (m.type) {
      case 'append':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case 'snapshot':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        break;
      default:
        if (m.type !== myResp) break;
        if (!isVoter(this.conf, m.from)) break;
        if (!this.votes.has(m.from)) this.votes.set(m.from, !m.reject);
        this.tallyVotes();
        break;
    }
  }

  private tallyVotes(): void {
    let granted = 0;
    let rejected = 0;
    for (const v of this.conf.voters) {
      const r = this.votes.get(v);
      if (r === true) granted++;
      else if (r === false) rejected++;
    }
    const q = quorum(this.conf.voters.length);
    if (granted >= q) {
      if (this.state === 'pre-candidate') this.campaignReal(false);
      else this.becomeLeader();
    } else if (rejected >= q) {
      this.becomeFollower(this.term, null);
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    switch (m.type) {
      case 'read-index':
        if (m.context) this.leaderReadIndex(m.context, m.from);
        return;
      case 'append-resp':
        if (!pr) return;
        pr.recentActive = true;
        this.handleAppendResp(m, pr);
        return;
      case 'heartbeat-resp':
        if (!pr) return;
        pr.recentActive = true;
        pr.probeSent = false;
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
        if (pr.match < this.log.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
        if (m.context && m.context.byteLength > 0) {
          for (const r of this.readOnly.recvAck(m.from, m.context, (acks) => this.hasVoterQuorum(acks))) {
            this.respondRead(r.from, r.index, r.context);
          }
        }
        return;
      default:
        return;
    }
  }

  private handleAppendResp(m: Message, pr: Progress): void {
    const idx = m.index ?? 0;
    if (m.reject) {
      if (idx === 0) {
        // Only an uninitialised joiner (no snapshot, no log, no membership) rejects "after index 0":
        // it must start from a snapshot, which carries the membership it cannot learn otherwise.
        if (pr.state !== 'snapshot') this.sendSnapshot(m.from, pr);
        return;
      }
      let hint = m.rejectHint ?? 0;
      if ((m.logTerm ?? 0) > 0) hint = this.log.findConflictByTerm(hint, m.logTerm ?? 0);
      if (pr.maybeDecrTo(idx, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const updated = pr.maybeUpdate(idx);
    if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      // The snapshot landed (or the follower already had it): resume from the log.
      pr.becomeProbe();
      this.sendAppend(m.from);
    }
    if (!updated) return;
    switch (pr.state) {
      case 'probe':
        pr.becomeReplicate();
        break;
      case 'snapshot':
        break;
      case 'replicate':
        pr.inflights.freeLE(idx);
        break;
    }
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else {
      // Keep the pipe full: send as much as the window and the size cap allow.
      while (this.sendAppend(m.from, false)) {
        /* empty */
      }
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: 'timeout-now', to: m.from, term: this.term });
    }
  }

  private handleAppend(m: Message): void {
    const prev = m.index ?? 0;
    if (prev < this.log.committed) {
      this.send({ type: 'append-resp', to: m.from, term: this.term, index: this.log.committed });
      return;
    }
    if (this.uninitialized()) {
      // We know neither the log nor the membership; ask for a snapshot (see handleAppendResp).
      this.send({ type: 'append-resp', to: m.from, term: this.term, index: prev, reject: true, rejectHint: 0 });
      return;
    }
    const lastNew = this.log.maybeAppend(prev, m.logTerm ?? 0, m.commit ?? 0, m.entries ?? []);
    if (lastNew !== null) {
      this.send({ type: 'append-resp', to: m.from, term: this.term, index: lastNew });
      return;
    }
    const hintIndex = this.log.findConflictByTerm(Math.min(prev, this.log.lastIndex()), m.logTerm ?? 0);
    this.send({
      type: 'append-resp',
      to: m.from,
      term: this.term,
      index: prev,
      reject: true,
      rejectHint: hintIndex,
      logTerm: this.log.term(hintIndex) ?? 0,
    });
  }

  private handleHeartbeat(m: Message): void {
    // The leader sends min(match, commit), so this never exceeds what we share with it.
    if (!this.uninitialized()) this.log.commitTo(Math.min(m.commit ?? 0, this.log.lastIndex()));
    const resp: Message = { type: 'heartbeat-resp', from: this.id, to: m.from, term: this.term };
    if (m.context) resp.context = m.context;
    this.msgs.push(resp);
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (!s) return;
    if (this.restore(s)) {
      this.logger.info?.(`${this.id} restored snapshot at ${s.meta.index} term ${s.meta.term}`);
      this.send({ type: 'append-resp', to: m.from, term: this.term, index: this.log.lastIndex() });
    } else {
      this.send({ type: 'append-resp', to: m.from, term: this.term, index: this.log.committed });
    }
  }

  private restore(s: Snapshot): boolean {
    const fresh = this.uninitialized() && !isEmptyConf(s.meta.conf);
    if (!fresh) {
      if (s.meta.index <= this.log.committed) return false;
      if (this.log.matchTerm(s.meta.index, s.meta.term)) {
        // We already have the snapshot's last entry: just learn that it is committed.
        this.log.commitTo(s.meta.index);
        return false;
      }
    }
    this.log.restore(s);
    this.conf = cloneConf(s.meta.conf);
    this.confHistory = [];
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Time

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const pr of this.progress.values()) {
      if (pr.state !== 'snapshot') continue;
      // A lost snapshot message would otherwise stall this follower forever: retry after a timeout.
      if (++pr.snapshotWait >= this.electionTimeout * 2) pr.becomeProbe();
    }
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        const self = this.progress.get(this.id);
        if (self) self.recentActive = true;
        if (!this.quorumActive()) {
          this.logger.info?.(`${this.id} [term ${this.term}] steps down: no quorum heard from within an election timeout`);
          this.becomeFollower(this.term, null);
          return;
        }
        for (const [id, pr] of this.progress) pr.recentActive = id === this.id;
      }
      if (this.leadTransferee !== null) this.leadTransferee = null;
    }
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastContext());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Role changes

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(this.random() * this.electionTimeout);
    this.votes = new Map();
    this.leadTransferee = null;
    this.readOnly.clear();
    this.pendingReads = [];
    this.progress = new Map();
  }

  private becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.state = 'follower';
    this.lead = lead;
  }

  private hup(transfer: boolean): void {
    if (this.state === 'leader') return;
    if (!this.promotable()) return;
    // A membership change followed in our log by another one is committed (its successor's
    // proposer had applied it: one change at a time), even if our commit index does not say so yet.
    let lastConf = 0;
    let prevConf = 0;
    for (let i = this.log.applied + 1; i <= this.log.lastIndex(); i++) {
      if (this.log.entry(i)?.type === EntryType.ConfChange) {
        prevConf = lastConf;
        lastConf = i;
      }
    }
    if (prevConf > this.log.committed) this.log.commitTo(prevConf);
    // A membership change that is committed but not yet applied may change who votes: campaigning
    // with the old membership could build a quorum the new one does not intersect.
    for (const e of this.log.nextCommitted()) {
      if (e.type === EntryType.ConfChange) return;
    }
    if (this.preVote && !transfer) this.campaignPre();
    else this.campaignReal(transfer);
  }

  private campaignPre(): void {
    this.reset(this.term);
    this.state = 'pre-candidate';
    this.votes.set(this.id, true);
    this.sendVoteRequests('prevote', this.term + 1, false);
    this.tallyVotes();
  }

  private campaignReal(transfer: boolean): void {
    this.reset(this.term + 1);
    this.state = 'candidate';
    this.vote = this.id;
    this.votes.set(this.id, true);
    this.sendVoteRequests('vote', this.term, transfer);
    this.tallyVotes();
  }

  private sendVoteRequests(type: 'vote' | 'prevote', term: number, transfer: boolean): void {
    if (this.state !== 'candidate' && this.state !== 'pre-candidate') return;
    for (const v of this.conf.voters) {
      if (v === this.id) continue;
      const m: Message = { type, from: this.id, to: v, term, index: this.log.lastIndex(), logTerm: this.log.lastTerm() };
      if (transfer) m.context = TRANSFER_CONTEXT;
      this.msgs.push(m);
    }
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.state = 'leader';
    this.lead = this.id;
    const last = this.log.lastIndex();
    for (const id of [...this.conf.voters, ...this.conf.learners]) {
      const pr = new Progress(last + 1, this.maxInflight, isLearner(this.conf, id));
      if (id === this.id) {
        pr.match = last;
        pr.becomeReplicate();
        pr.recentActive = true;
      }
      this.progress.set(id, pr);
    }
    this.logger.info?.(`${this.id} became leader at term ${this.term}`);
    // The empty entry commits everything before it (§5.4.2) and is what ReadIndex waits for. No
    // membership change may be proposed until it is applied: this closes the single-server-change
    // bug (a change proposed by a leader whose predecessor's change is not yet known committed).
    this.appendEntries([{ term: this.term, index: last + 1, type: EntryType.Normal, data: new Uint8Array() }]);
    this.pendingConfIndex = last + 1;
    this.bcastAppend();
  }

  // ---------------------------------------------------------------------------------------------
  // Leader machinery

  private proposeEntry(type: EntryType, data: Uint8Array): ProposeResult {
    if (this.state !== 'leader') return this.notLeader();
    if (this.leadTransferee !== null) {
      return { ok: false, reason: 'transferring', leader: this.id, message: `leadership is being transferred to ${this.leadTransferee}` };
    }
    const index = this.log.lastIndex() + 1;
    this.appendEntries([{ term: this.term, index, type, data }]);
    this.bcastAppend();
    return { ok: true, index, term: this.term };
  }

  private notLeader(): ProposeResult {
    return { ok: false, reason: 'not-leader', leader: this.lead, message: this.lead ? `not the leader; the leader is ${this.lead}` : 'not the leader; no leader is known' };
  }

  private appendEntries(ents: Entry[]): void {
    this.log.append(ents);
    // Counting ourselves before the entries are durable is safe because nothing that depends on
    // it (commit index in messages, applying) leaves the node before the same Ready is persisted.
    this.progress.get(this.id)?.maybeUpdate(this.log.lastIndex());
    this.maybeCommit();
  }

  /** §5.3/§5.4.2: commit the highest index a quorum of voters has, if it is from our term. */
  private maybeCommit(): boolean {
    const voters = this.conf.voters;
    if (voters.length === 0) return false;
    const matches = voters.map((v) => this.progress.get(v)?.match ?? 0).sort((a, b) => b - a);
    const idx = matches[quorum(voters.length) - 1] ?? 0;
    if (idx <= this.log.committed) return false;
    if (this.log.term(idx) !== this.term) return false;
    const hadTermCommit = this.committedInTerm();
    this.log.commitTo(idx);
    if (!hadTermCommit && this.committedInTerm()) this.releasePendingReads();
    return true;
  }

  private committedInTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private bcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(context: Uint8Array | undefined): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      const m: Message = { type: 'heartbeat', from: this.id, to: id, term: this.term, commit: Math.min(pr.match, this.log.committed) };
      if (context) m.context = context;
      this.msgs.push(m);
    }
  }

  /** Send the next batch to `to` if its progress allows. Returns whether something was sent. */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const ents = this.log.slice(pr.next, this.log.lastIndex() + 1, this.maxSizePerMsg);
    if (prevTerm === null || ents === null) return this.sendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.msgs.push({ type: 'append', from: this.id, to, term: this.term, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed });
    const last = ents[ents.length - 1];
    if (pr.state === 'replicate' && last) {
      pr.next = last.index + 1;
      pr.inflights.add(last.index);
    } else if (pr.state === 'probe') {
      pr.probeSent = true;
    }
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    const snap = this.log.snapshot;
    pr.becomeSnapshot(snap.meta.index);
    this.msgs.push({ type: 'snapshot', from: this.id, to, term: this.term, snapshot: snap });
    return true;
  }

  private quorumActive(): boolean {
    let n = 0;
    for (const v of this.conf.voters) if (v === this.id || this.progress.get(v)?.recentActive) n++;
    return n >= quorum(this.conf.voters.length);
  }

  private hasVoterQuorum(acks: Set<NodeId>): boolean {
    let n = 0;
    for (const v of this.conf.voters) if (acks.has(v)) n++;
    return n >= quorum(this.conf.voters.length);
  }

  /**
   * ReadIndex on the leader (thesis §6.4). The read point is the commit index now; it is only
   * valid once this leader has committed an entry of its term (before that, its commit index may
   * lag entries a previous leader committed), and only after a heartbeat round proves no other
   * leader has superseded it. Requests from followers answer to them with the same context.
   */
  private leaderReadIndex(context: Uint8Array, from: NodeId): void {
    if (!this.committedInTerm()) {
      this.pendingReads.push({ context, from });
      return;
    }
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) {
      this.respondRead(from, this.log.committed, context);
      return;
    }
    this.readOnly.add(this.log.committed, context, from, this.id);
    this.bcastHeartbeat(context);
  }

  private releasePendingReads(): void {
    const reads = this.pendingReads;
    this.pendingReads = [];
    for (const r of reads) this.leaderReadIndex(r.context, r.from);
  }

  private respondRead(to: NodeId, index: number, context: Uint8Array): void {
    if (to === this.id) this.readStates.push({ index, context });
    else this.msgs.push({ type: 'read-index-resp', from: this.id, to, term: 0, index, context });
  }

  // ---------------------------------------------------------------------------------------------
  // Membership

  private applyConfEntry(e: Entry): void {
    if (e.type !== EntryType.ConfChange) return;
    const cc = decodeConfChange(e.data);
    if (!cc) {
      this.logger.warn?.(`${this.id} ignores undecodable membership change at ${e.index}`);
      return;
    }
    this.conf = applyConfChange(this.conf, cc);
    this.confHistory.push({ index: e.index, conf: cloneConf(this.conf) });
    if (this.state !== 'leader') return;
    if (!isVoter(this.conf, this.id)) {
      // Removed or demoted: a leader that is not a voter would count itself in quorums it is not in.
      this.logger.info?.(`${this.id} steps down: no longer a voter`);
      this.becomeFollower(this.term, null);
      return;
    }
    const members = new Set([...this.conf.voters, ...this.conf.learners]);
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    const added: NodeId[] = [];
    for (const id of members) {
      const pr = this.progress.get(id);
      if (pr) pr.learner = isLearner(this.conf, id);
      else {
        const np = new Progress(this.log.lastIndex() + 1, this.maxInflight, isLearner(this.conf, id));
        np.recentActive = true;
        this.progress.set(id, np);
        added.push(id);
      }
    }
    if (this.leadTransferee !== null && !isVoter(this.conf, this.leadTransferee)) this.leadTransferee = null;
    // A smaller quorum may commit more; a new member needs its first append.
    if (this.maybeCommit()) this.bcastAppend();
    else for (const id of added) this.sendAppend(id);
  }

  private confAt(index: number): ConfState {
    let c = this.log.snapshot.meta.conf;
    for (const h of this.confHistory) if (h.index <= index) c = h.conf;
    return cloneConf(c);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** Only voters campaign; learners and removed nodes wait to be told. */
  private promotable(): boolean {
    return isVoter(this.conf, this.id);
  }

  /** A joiner that has neither log, snapshot nor membership yet. */
  private uninitialized(): boolean {
    return isEmptyConf(this.conf) && this.log.lastIndex() === 0;
  }

  private role(): Role {
    if (this.state === 'follower' && isLearner(this.conf, this.id)) return 'learner';
    return this.state;
  }

  private softState(): SoftState {
    return { leader: this.lead, role: this.role() };
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private send(m: Omit<Message, 'from'> & { from?: NodeId }): void {
    this.msgs.push({ ...m, from: m.from ?? this.id });
  }
}

function hardEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
