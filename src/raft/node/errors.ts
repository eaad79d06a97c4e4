/**
 * Typed failures of {@link RaftNode} operations. Each says whether the write may still have taken
 * effect: callers that retry must know (a Timeout or Stopped proposal may have been committed).
 */
import type { NodeId } from '../types.js';

export type RaftNodeErrorCode = 'not-leader' | 'timeout' | 'stopped' | 'dropped' | 'storage' | 'rejected';

export abstract class RaftNodeError extends Error {
  abstract readonly code: RaftNodeErrorCode;
  /** True when the operation may have taken effect even though it failed. */
  abstract readonly outcomeUnknown: boolean;
}

/** This member is not the leader. Retry at `leader` (`address` is its raft address) when known. */
export class NotLeaderError extends RaftNodeError {
  readonly code = 'not-leader';
  readonly outcomeUnknown = false;
  constructor(
    readonly leader: NodeId | null,
    readonly address: string | null,
  ) {
    super(leader === null ? 'not the leader, and no leader is known (election in progress?)' : `not the leader; the leader is ${leader}${address ? ` at ${address}` : ''}`);
    this.name = 'NotLeaderError';
  }
}

/** No answer within the deadline. A proposal may still commit later. */
export class TimeoutError extends RaftNodeError {
  readonly code = 'timeout';
  readonly outcomeUnknown = true;
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms (it may still take effect)`);
    this.name = 'TimeoutError';
  }
}

/** The node stopped before the operation finished. A proposal may still commit on the other members. */
export class StoppedError extends RaftNodeError {
  readonly code = 'stopped';
  readonly outcomeUnknown = true;
  constructor() {
    super('raft node stopped');
    this.name = 'StoppedError';
  }
}

/** The proposal's log position was taken by another leader's entry: it was definitely not committed. */
export class ProposalDroppedError extends RaftNodeError {
  readonly code = 'dropped';
  readonly outcomeUnknown = false;
  constructor(index: number, term: number) {
    super(`proposal at index ${index} (term ${term}) was overwritten by a new leader and not committed; retry`);
    this.name = 'ProposalDroppedError';
  }
}

/** The core refused the request (e.g. a membership change while another is pending). */
export class ProposalRefusedError extends RaftNodeError {
  readonly code = 'rejected';
  readonly outcomeUnknown = false;
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProposalRefusedError';
  }
}

/** Local storage failed (e.g. ENOSPC): this member stopped accepting writes. Data acknowledged before is intact. */
export class StorageFailedError extends RaftNodeError {
  readonly code = 'storage';
  readonly outcomeUnknown: boolean;
  constructor(message: string, outcomeUnknown: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StorageFailedError';
    this.outcomeUnknown = outcomeUnknown;
  }
}
