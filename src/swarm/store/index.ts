/**
 * The managers' replicated object store: typed, versioned objects (cluster, nodes, services,
 * tasks, networks, secrets, configs) kept identical on every manager by applying the same
 * commands through raft. See specs/store.md.
 */
export * from './errors.js';
export * from './kinds.js';
export * from './events.js';
export * from './command.js';
export * from './proposer.js';
export * from './local-proposer.js';
export type { ReadTx } from './read-tx.js';
export type { WriteTx } from './write-tx.js';
export type { Batch, BatchResult } from './batch.js';
export { Watch, DEFAULT_WATCH_LIMIT } from './watch.js';
export { SNAPSHOT_FORMAT_VERSION } from './snapshot.js';
export * from './memory-store.js';
export * from './objects/common.js';
export * from './objects/cluster.js';
export * from './objects/node.js';
export * from './objects/service.js';
export * from './objects/task-spec.js';
export * from './objects/task.js';
export * from './objects/network.js';
export * from './objects/secret.js';
export * from './objects/config.js';
export * from './objects/limits.js';
