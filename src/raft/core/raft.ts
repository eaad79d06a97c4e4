/** Placeholder: the API is fixed in api.ts; the state machine lands in the next commits. */
import type { ConfChange, Message, NodeId, Snapshot } from '../types.js';
import type { ProposeResult, RaftConfig, Ready, Status } from './api.js';

export class RaftCore {
  constructor(readonly config: RaftConfig) {}
  /** Advance logical time by one tick. */
  tick(): void {}
  /** Feed one message received from a peer. */
  step(_msg: Message): void {}
  propose(_data: Uint8Array): ProposeResult { return { ok: false, reason: 'not-leader', leader: null, message: 'stub' }; }
  proposeConfChange(_cc: ConfChange): ProposeResult { return this.propose(new Uint8Array()); }
  /** Request a linearizable read point; answered through Ready.readStates with the same context. */
  readIndex(_ctx: Uint8Array): void {}
  transferLeadership(_to: NodeId): void {}
  campaign(): void {}
  hasReady(): boolean { return false; }
  ready(): Ready { return { entries: [], committedEntries: [], messages: [], readStates: [] }; }
  advance(_rd: Ready): void {}
  status(): Status { throw new Error('not implemented'); }
  /**
   * Record a snapshot of the application's state at `index` (<= applied) and drop the log prefix
   * up to `index`, keeping `keep` more entries for slow followers. Returns the snapshot to persist.
   */
  compact(_index: number, _data: Uint8Array, _keep?: number): Snapshot { throw new Error('not implemented'); }
  /** Diagnostic: term of the entry at index in this node's log, or null if unknown/compacted. */
  termAt(_index: number): number | null { return null; }
}
