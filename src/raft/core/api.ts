/**
 * The public contract of the pure Raft core: its configuration, what {@link Ready} carries and the
 * order in which a driver must act on it, status, and proposal results. See specs/raft.md.
 */
import type { ConfState, Entry, HardState, Message, NodeId, Snapshot } from '../types.js';

export type Role = 'leader' | 'follower' | 'candidate' | 'pre-candidate' | 'learner';

/** Optional sink for the core's diagnostics; the core never prints by itself. */
export interface RaftLogger {
  debug?(msg: string): void;
  info?(msg: string): void;
  warn?(msg: string): void;
}

/** What the node recovered from durable storage (or the bootstrap state of a brand-new node). */
export interface InitialState {
  hardState: HardState;
  /** The latest durable snapshot; its meta.conf is the membership at meta.index. */
  snapshot: Snapshot | null;
  /** Durable log entries strictly after the snapshot (or from index 1), contiguous. */
  entries: Entry[];
  /**
   * Membership at index 0, used only when `snapshot` is null. Founding members of a cluster all
   * pass the same voters; a node that joins an existing cluster passes `{voters: [], learners: []}`
   * and is then initialised by the leader with a snapshot.
   */
  conf: ConfState;
}

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns; randomised in [e, 2e). Default 10. */
  electionTick?: number;
  /** Ticks between leader heartbeats. Default 1. Must be < electionTick. */
  heartbeatTick?: number;
  /** Uniform in [0, 1). Injected so that the core stays deterministic under simulation. */
  random: () => number;
  /** Run a pre-vote round before incrementing the term (stops a rejoining node from disrupting). Default true. */
  preVote?: boolean;
  /** A leader that has not heard from a quorum within an election timeout steps down. Default true. */
  checkQuorum?: boolean;
  /** Max append messages in flight to one follower in the replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Soft cap on the entry bytes in one append (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsg?: number;
  initial: InitialState;
  /**
   * Highest index the application has already applied (its state machine reflects it). Defaults to
   * the snapshot index (0 without a snapshot). Committed entries after it are handed out again.
   */
  applied?: number;
  logger?: RaftLogger;
}

export interface SoftState {
  leader: NodeId | null;
  role: Role;
}

/** A linearizable read point: once `applied >= index`, a read issued with `context` may be served locally. */
export interface ReadState {
  index: number;
  context: Uint8Array;
}

/**
 * Everything the core wants done, as data. The driver MUST act in this order:
 *
 * 1. Persist, atomically or in this order: `snapshot` (if any; it replaces the whole stored log),
 *    then `entries` (appending; an entry whose index already exists in storage replaces it and
 *    everything after it), then `hardState` (if any). fsync. No message of this Ready may be sent
 *    before this is durable.
 * 2. Send `messages` (only after step 1 is durable: every message may rely on the persisted
 *    vote, term and log, e.g. an append-resp acknowledges entries, a vote-resp relies on the vote).
 * 3. If `snapshot` is set, restore the state machine from `snapshot.data` (an index-0 snapshot with
 *    empty data means "the empty initial state"). Then apply `committedEntries` in order. Entries
 *    of type ConfChange are applied to membership by the core itself in step 4; the application only
 *    uses them to learn addresses (`ConfChange.context`).
 * 4. Call `advance(rd)` with this same object. Do not call `ready()` again before `advance()`.
 *    `tick()`, `step()`, `propose()` etc. may be called between `ready()` and `advance()`.
 *
 * `readStates` may be acted on after step 3 (serve each read once applied >= index).
 */
export interface Ready {
  /** Set when leader or role changed since the last Ready. Volatile: never persisted. */
  softState?: SoftState;
  /** Set only when term, vote or commit changed. */
  hardState?: HardState;
  /** Entries to append to stable storage; may start below the stored last index (overwrite a suffix). */
  entries: Entry[];
  /** A snapshot received from the leader, to persist (and restore from) before anything else. */
  snapshot?: Snapshot;
  /**
   * Committed entries to apply to the state machine, in index order, contiguous. Includes each new
   * leader's empty Normal entry: treat an entry with empty data as a no-op.
   */
  committedEntries: Entry[];
  /** To send after persistence. */
  messages: Message[];
  readStates: ReadState[];
}

export interface PeerProgress {
  /** Highest index known to be replicated on the peer. */
  match: number;
  /** Next index the leader will send. */
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
  learner: boolean;
  /** Heard from within the last election timeout (check-quorum). */
  recentActive: boolean;
}

export interface Status {
  id: NodeId;
  role: Role;
  term: number;
  vote: NodeId | null;
  leader: NodeId | null;
  commit: number;
  applied: number;
  lastIndex: number;
  /** Index of the latest snapshot (0 if none). */
  snapshotIndex: number;
  conf: ConfState;
  /** Leader only: every member's replication progress, including its own. */
  progress?: Record<NodeId, PeerProgress>;
  /** Leader only: the member leadership is being transferred to. */
  leadTransferee?: NodeId | null;
}

export type ProposalRejection =
  /** This node is not the leader; `leader` names the leader if known (retry there). */
  | 'not-leader'
  /** A leadership transfer is in progress; retry shortly. */
  | 'transferring'
  /** A membership change is proposed but not yet applied (one change at a time). */
  | 'conf-change-pending'
  /** The change makes no sense against the current membership (e.g. promote a non-learner). */
  | 'conf-change-invalid';

export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; reason: ProposalRejection; leader: NodeId | null; message: string };

/** Typed error for drivers that prefer throwing: built from a rejected {@link ProposeResult}. */
export class ProposalRejectedError extends Error {
  readonly reason: ProposalRejection;
  readonly leader: NodeId | null;
  constructor(reason: ProposalRejection, leader: NodeId | null, message: string) {
    super(message);
    this.name = 'ProposalRejectedError';
    this.reason = reason;
    this.leader = leader;
  }
}

/** Throws {@link ProposalRejectedError} for a rejected result, else returns the accepted position. */
export function unwrapProposal(r: ProposeResult): { index: number; term: number } {
  if (!r.ok) throw new ProposalRejectedError(r.reason, r.leader, r.message);
  return { index: r.index, term: r.term };
}
