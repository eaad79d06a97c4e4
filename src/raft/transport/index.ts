/** Raft transport: versioned length-prefixed frames over TCP or mutual TLS. See specs/raft.md "Transport". */
export { TcpTransport, type PeerStats, type TlsMaterial, type TransportLogger, type TransportOptions } from './tcp-transport.js';
export { FRAME_VERSION, FrameDecoder, FrameError, FrameKind, MAX_FRAME_BYTES, encodeFrame } from './frame.js';
