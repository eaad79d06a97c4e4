/**
 * Types shared by the pure Raft core, its storage and its transport. The core never does I/O:
 * it consumes ticks, messages and proposals and emits a {@link Ready} describing what to persist,
 * what to send and what to apply. See specs/raft.md.
 */

export type NodeId = string;

export const enum EntryType {
  /** Application command (opaque bytes). */
  Normal = 0,
  /** Membership change; data is a JSON-encoded {@link ConfChange}. */
  ConfChange = 1,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** What must be durable before the node may send or acknowledge anything that depends on it. */
export interface HardState {
  term: number;
  vote: NodeId | null;
  commit: number;
}

/** Voters and learners; a node appears in at most one of the two. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMeta {
  index: number;
  term: number;
  conf: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  /** Application state machine image at meta.index. */
  data: Uint8Array;
}

export type ConfChangeType = 'add-learner' | 'promote' | 'demote' | 'remove';

export interface ConfChange {
  type: ConfChangeType;
  node: NodeId;
  /** Opaque to raft: the application's address of the node (carried so every member learns it). */
  context?: string;
}

export type MessageType =
  | 'prevote'
  | 'prevote-resp'
  | 'vote'
  | 'vote-resp'
  | 'append'
  | 'append-resp'
  | 'heartbeat'
  | 'heartbeat-resp'
  | 'snapshot'
  | 'timeout-now'
  /** Follower -> leader: please confirm leadership for a linearizable read (ReadIndex). */
  | 'read-index'
  | 'read-index-resp';

/**
 * One flat message shape for every exchange, as in etcd's raft: fields not used by a type are
 * absent. The transport encodes it (src/raft/codec.ts); the core only builds and reads it.
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** append: term and index of the entry preceding `entries`; vote: the candidate's last log term/index. */
  logTerm?: number;
  index?: number;
  entries?: Entry[];
  commit?: number;
  reject?: boolean;
  /** append-resp with reject: the follower's hint of where the logs may match. */
  rejectHint?: number;
  snapshot?: Snapshot;
  /** read-index / heartbeat: the request context echoed back. */
  context?: Uint8Array;
}
