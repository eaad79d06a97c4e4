/**
 * The single seam between the store and consensus (swarmkit's `state/proposer.go`). The store
 * never talks to raft itself: it hands encoded commands to a Proposer, and the replication layer
 * calls {@link ReplicatedStateMachine.apply} on every replica, the proposing one included.
 */
export interface Proposer {
  /**
   * Replicate `cmd` and resolve with the value this replica's `apply` returned for it, once it is
   * committed and applied. Rejects if the command could not be committed (not the leader,
   * timeout, shutdown); then it may or may not be applied later, and the caller must re-read.
   */
  propose(cmd: Uint8Array): Promise<unknown>;
}

/**
 * What a raft node drives: the application state machine. Matches the interface of src/raft's
 * node driver, so a MemoryStore plugs into it directly.
 */
export interface ReplicatedStateMachine {
  /** Apply a committed entry. Must be deterministic and must not throw for bad input. */
  apply(data: Uint8Array, index: number): unknown;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}
