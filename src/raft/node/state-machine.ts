/**
 * The application's replicated state machine, driven by {@link RaftNode}: committed entries in
 * index order, snapshots for log compaction and for members that fall too far behind.
 */
export interface StateMachine<R> {
  /** Apply one committed command. Must be deterministic: every member applies the same sequence. */
  apply(data: Uint8Array, index: number): R;
  /** Serialise the whole state as of the last applied entry. */
  snapshot(): Uint8Array;
  /** Replace the whole state with a snapshot's (empty data = the initial, empty state). */
  restore(data: Uint8Array): void;
}
