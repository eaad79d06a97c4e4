import type { RaftNode } from '../../raft/node/index.js';
import type { ApplyResult, Proposer } from '../store/index.js';

/**
 * The store's seam to raft. Bound after construction because the raft node needs the store (its
 * state machine) before it exists.
 */
export class RaftProposer implements Proposer {
  node: RaftNode<ApplyResult> | undefined;
  propose(cmd: Uint8Array): Promise<unknown> {
    if (this.node === undefined) return Promise.reject(new Error('store not bound to a raft node'));
    return this.node.propose(cmd);
  }
}
