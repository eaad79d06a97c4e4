/**
 * The pure Raft core, driven like etcd's RawNode: feed it ticks, messages and proposals; drain
 * {@link Ready} and act on it in the documented order (persist, send, apply, advance).
 * No I/O, no clock, no ambient randomness. See specs/raft.md.
 */
export { RaftCore, RaftCore as RawNode } from './raft.js';
export type {
  InitialState,
  PeerProgress,
  ProposalRejection,
  ProposeResult,
  RaftConfig,
  RaftLogger,
  ReadState,
  Ready,
  Role,
  SoftState,
  Status,
} from './api.js';
export { ProposalRejectedError, unwrapProposal } from './api.js';
