/**
 * The raft library: pure core, durable storage, TCP/TLS transport and the node driver that ties
 * them together. Most applications need only {@link RaftNode} and {@link StateMachine}.
 * See specs/raft.md.
 */
export * from './types.js';
export * from './core/index.js';
export * from './storage/index.js';
export * from './transport/index.js';
export * from './node/index.js';
export { CodecError, decodeMessage, encodeMessage } from './codec.js';
