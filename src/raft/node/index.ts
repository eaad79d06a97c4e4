/** The raft node driver: core + storage + transport + timers. See specs/raft.md "Node driver". */
export { RaftNode, type NodeLogger, type NodeStatus, type RaftNodeOptions } from './raft-node.js';
export type { StateMachine } from './state-machine.js';
export {
  NotLeaderError,
  ProposalDroppedError,
  ProposalRefusedError,
  RaftNodeError,
  StorageFailedError,
  StoppedError,
  TimeoutError,
  type RaftNodeErrorCode,
} from './errors.js';
