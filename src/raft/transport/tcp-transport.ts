/**
 * Raft transport over TCP (optionally mutual TLS). One outbound connection per peer carries our
 * messages to it; inbound connections carry theirs to us. Raft tolerates loss, so every queue is
 * bounded and drops when full, and a broken connection drops what was queued and reconnects with
 * exponential backoff. Anything malformed from the network is logged and the connection dropped;
 * it never throws into the node.
 */
import net from 'node:net';
import tls from 'node:tls';
import { BinaryReader, BinaryWriter, CodecError, readMessage, writeMessage } from '../codec.js';
import type { Message, NodeId } from '../types.js';
import { FrameDecoder, FrameError, FrameKind, beginFrame, encodeFrame, endFrame } from './frame.js';

/** PEM material for mutual TLS: our certificate and key, and the CA that signs every member. */
export interface TlsMaterial {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
  /**
   * Require the sender id in a connection's Hello to be named by the client certificate (its CN or
   * a DNS/URI subjectAltName), so one member cannot speak for another. Default true.
   */
  verifyPeerId?: boolean;
}

/** Whether a verified client certificate names `id` (CN, or a DNS:/URI: subjectAltName). */
function certNames(cert: tls.PeerCertificate, id: string): boolean {
  const cn = cert.subject?.CN;
  if (cn === id || (Array.isArray(cn) && cn.includes(id))) return true;
  const sans = (cert.subjectaltname ?? '').split(',').map((x) => x.trim());
  return sans.includes(`DNS:${id}`) || sans.includes(`URI:${id}`);
}

export interface TransportLogger {
  warn(msg: string): void;
  info?(msg: string): void;
}

export interface TransportOptions {
  id: NodeId;
  /** Address to listen on; port 0 picks a free one (see {@link TcpTransport.address}). */
  listen: { host: string; port: number };
  tls?: TlsMaterial;
  /** Called for every message received from a peer. Must not throw. */
  onMessage: (m: Message) => void;
  /** Told when a peer could not be reached (for status/diagnostics; raft learns by missing replies). */
  onUnreachable?: (peer: NodeId) => void;
  logger?: TransportLogger;
  /** Max messages queued per peer before new ones are dropped. Default 4096. */
  queueLimit?: number;
  /** Reconnect backoff bounds. Defaults 50 ms and 1 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Snapshot data is streamed in chunks of this size. Default 1 MiB. */
  snapshotChunkBytes?: number;
}

export interface PeerStats {
  sent: number;
  dropped: number;
  connected: boolean;
}

function parseAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(addr.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad peer address ${JSON.stringify(addr)}: want host:port`);
  return { host, port };
}

/** Outbound side to one peer: a bounded queue of encoded frames and a reconnecting socket. */
class PeerSender {
  private sock: net.Socket | null = null;
  private connected = false;
  private queue: Uint8Array[] = [];
  private queuedMsgs = 0;
  private backoff: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private flushScheduled = false;
  private closed = false;
  readonly stats: PeerStats = { sent: 0, dropped: 0, connected: false };

  constructor(
    readonly peer: NodeId,
    public addr: string,
    private readonly t: TcpTransport,
    private readonly o: Required<Pick<TransportOptions, 'queueLimit' | 'minBackoffMs' | 'maxBackoffMs'>>,
  ) {
    this.backoff = o.minBackoffMs;
  }

  /** Queue frames that must travel together (a snapshot stream) or not at all. */
  enqueue(frames: Uint8Array[]): void {
    if (this.closed) return;
    if (this.queuedMsgs >= this.o.queueLimit) {
      this.stats.dropped++;
      return;
    }
    for (const f of frames) this.queue.push(f);
    this.queuedMsgs++;
    if (!this.sock && !this.retryTimer) this.connect();
    else this.scheduleFlush();
  }

  setAddr(addr: string): void {
    if (addr === this.addr) return;
    this.addr = addr;
    this.reset('address changed');
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.sock?.destroy();
    this.sock = null;
    this.queue = [];
  }

  private connect(): void {
    let target: { host: string; port: number };
    try {
      target = parseAddr(this.addr);
    } catch (e) {
      this.t.log.warn(`raft transport: ${(e as Error).message}`);
      return;
    }
    const material = this.t.tlsMaterial;
    const sock = material
      ? tls.connect({ host: target.host, port: target.port, ca: material.ca, cert: material.cert, key: material.key })
      : net.connect({ host: target.host, port: target.port });
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on(material ? 'secureConnect' : 'connect', () => {
      if (this.sock !== sock) return;
      this.connected = true;
      this.stats.connected = true;
      this.backoff = this.o.minBackoffMs;
      const hello = new BinaryWriter(32).str(this.t.id).finish();
      sock.write(encodeFrame(FrameKind.Hello, hello));
      this.scheduleFlush();
    });
    sock.on('drain', () => this.scheduleFlush());
    sock.on('data', () => undefined); // the peer never writes on our outbound connection
    sock.on('error', (e: Error) => {
      if (this.sock === sock && !this.connected) this.t.opts.onUnreachable?.(this.peer);
      if (this.sock === sock) this.t.log.info?.(`raft transport: peer ${this.peer} (${this.addr}): ${e.message}`);
    });
    sock.on('close', () => {
      if (this.sock === sock) this.reset('closed');
    });
  }

  /** Drop the connection and what was queued (stale raft messages are worse than none), then retry later. */
  private reset(_why: string): void {
    this.sock?.destroy();
    this.sock = null;
    this.connected = false;
    this.stats.connected = false;
    this.stats.dropped += this.queuedMsgs;
    this.queue = [];
    this.queuedMsgs = 0;
    if (this.closed || this.retryTimer) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.maxBackoffMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed && !this.sock) this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Coalesce everything queued in this turn of the event loop into one write (one syscall,
    // one TLS record) instead of one per message.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const sock = this.sock;
    if (!sock || !this.connected || this.queue.length === 0) return;
    if (sock.writableNeedDrain) return; // 'drain' reschedules
    const frames = this.queue;
    this.stats.sent += this.queuedMsgs;
    this.queue = [];
    this.queuedMsgs = 0;
    sock.write(frames.length === 1 ? (frames[0] as Uint8Array) : Buffer.concat(frames));
  }
}

/** Inbound side of one accepted connection. */
class InboundConnection {
  private readonly decoder = new FrameDecoder();
  private from: NodeId | null = null;
  private pendingSnapshot: { msg: Message; chunks: Uint8Array[]; bytes: number } | null = null;

  constructor(
    private readonly sock: net.Socket,
    private readonly t: TcpTransport,
  ) {
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', () => undefined);
  }

  private onData(chunk: Buffer): void {
    try {
      for (const f of this.decoder.push(chunk)) this.onFrame(f.kind, f.body);
    } catch (e) {
      if (e instanceof FrameError || e instanceof CodecError || e instanceof ProtocolError) {
        this.t.log.warn(
          `raft transport: dropping connection from ${this.sock.remoteAddress}:${this.sock.remotePort}${this.from ? ` (peer ${this.from})` : ''}: ${e.message}`,
        );
        this.sock.destroy();
        return;
      }
      throw e;
    }
  }

  private onFrame(kind: FrameKind, body: Uint8Array): void {
    if (this.from === null) {
      if (kind !== FrameKind.Hello) throw new ProtocolError('first frame is not a hello');
      const from = new BinaryReader(body).str();
      const material = this.t.tlsMaterial;
      if (material && material.verifyPeerId !== false && this.sock instanceof tls.TLSSocket) {
        if (!certNames(this.sock.getPeerCertificate(), from)) {
          throw new ProtocolError(`hello claims to be ${JSON.stringify(from)} but the client certificate does not name it`);
        }
      }
      this.from = from;
      return;
    }
    switch (kind) {
      case FrameKind.Message: {
        const m = readMessage(new BinaryReader(body));
        this.deliver(m);
        return;
      }
      case FrameKind.SnapshotBegin: {
        const m = readMessage(new BinaryReader(body));
        if (!m.snapshot) throw new ProtocolError('snapshot-begin without a snapshot');
        this.pendingSnapshot = { msg: m, chunks: [], bytes: 0 };
        return;
      }
      case FrameKind.SnapshotChunk: {
        const p = this.pendingSnapshot;
        if (!p) throw new ProtocolError('snapshot chunk outside a snapshot stream');
        p.chunks.push(new Uint8Array(body));
        p.bytes += body.length;
        return;
      }
      case FrameKind.SnapshotEnd: {
        const p = this.pendingSnapshot;
        if (!p || !p.msg.snapshot) throw new ProtocolError('snapshot end outside a snapshot stream');
        this.pendingSnapshot = null;
        p.msg.snapshot = { meta: p.msg.snapshot.meta, data: new Uint8Array(Buffer.concat(p.chunks)) };
        this.deliver(p.msg);
        return;
      }
      default:
        throw new ProtocolError(`unexpected frame kind ${kind}`);
    }
  }

  private deliver(m: Message): void {
    if (m.to !== this.t.id) {
      this.t.log.info?.(`raft transport: message for ${m.to} delivered to ${this.t.id}; dropped`);
      return;
    }
    try {
      this.t.opts.onMessage(m);
    } catch (e) {
      this.t.log.warn(`raft transport: message handler failed: ${(e as Error).message}`);
    }
  }
}

class ProtocolError extends Error {}

/** The raft transport: listen for peers, send to peers by id. See specs/raft.md "Transport". */
export class TcpTransport {
  readonly id: NodeId;
  readonly log: TransportLogger;
  /** Read at every dial, so a renewed certificate is used by the next connection. */
  tlsMaterial: TlsMaterial | undefined;
  private server: net.Server | null = null;
  private readonly peers = new Map<NodeId, PeerSender>();
  private readonly inbound = new Set<net.Socket>();
  private readonly chunkBytes: number;

  constructor(readonly opts: TransportOptions) {
    this.id = opts.id;
    this.tlsMaterial = opts.tls;
    this.log = opts.logger ?? { warn: (m) => console.warn(m) };
    this.chunkBytes = opts.snapshotChunkBytes ?? 1024 * 1024;
  }

  /**
   * Swaps the certificate (renewal): new outbound connections and new inbound handshakes use it;
   * connections already up keep theirs until they drop, which TLS allows.
   */
  updateTls(material: TlsMaterial): void {
    if (!this.tlsMaterial) throw new Error('updateTls on a plain-TCP transport');
    this.tlsMaterial = { ...this.tlsMaterial, ...material };
    const m = this.tlsMaterial;
    if (this.server instanceof tls.Server) this.server.setSecureContext({ ca: m.ca, cert: m.cert, key: m.key });
  }

  /** Start listening. Resolves with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    const onConn = (sock: net.Socket): void => {
      this.inbound.add(sock);
      sock.setNoDelay(true);
      sock.on('close', () => this.inbound.delete(sock));
      new InboundConnection(sock, this);
    };
    const m = this.tlsMaterial;
    const server = m
      ? tls.createServer({ ca: m.ca, cert: m.cert, key: m.key, requestCert: true, rejectUnauthorized: true }, onConn)
      : net.createServer(onConn);
    if (m) {
      server.on('tlsClientError', (e: Error, sock: tls.TLSSocket) => {
        this.log.warn(`raft transport: TLS handshake from ${sock.remoteAddress ?? "a client that hung up"} refused: ${e.message}`);
      });
    }
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listen.port, this.opts.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e: Error) => this.log.warn(`raft transport: listener error: ${e.message}`));
    return this.address();
  }

  address(): { host: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error('raft transport is not listening');
    return { host: a.address, port: a.port };
  }

  /** Add a peer or change its address (`host:port`). */
  setPeer(id: NodeId, addr: string): void {
    if (id === this.id) return;
    const p = this.peers.get(id);
    if (p) p.setAddr(addr);
    else {
      this.peers.set(
        id,
        new PeerSender(id, addr, this, {
          queueLimit: this.opts.queueLimit ?? 4096,
          minBackoffMs: this.opts.minBackoffMs ?? 50,
          maxBackoffMs: this.opts.maxBackoffMs ?? 1000,
        }),
      );
    }
  }

  removePeer(id: NodeId): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  peerAddress(id: NodeId): string | undefined {
    return this.peers.get(id)?.addr;
  }

  stats(): Record<NodeId, PeerStats> {
    const out: Record<NodeId, PeerStats> = {};
    for (const [id, p] of this.peers) out[id] = { ...p.stats };
    return out;
  }

  /** Queue messages for their peers; never blocks, never throws (unknown peers and full queues drop). */
  send(msgs: readonly Message[]): void {
    for (const m of msgs) {
      const p = this.peers.get(m.to);
      if (!p) continue;
      if (m.snapshot && m.snapshot.data.length > this.chunkBytes) p.enqueue(this.snapshotFrames(m));
      else {
        const w = new BinaryWriter(64 + (m.entries?.length ?? 0) * 64);
        const at = beginFrame(w, FrameKind.Message);
        writeMessage(w, m);
        endFrame(w, at);
        p.enqueue([w.finish()]);
      }
    }
  }

  private snapshotFrames(m: Message): Uint8Array[] {
    const data = (m.snapshot as NonNullable<Message['snapshot']>).data;
    const w = new BinaryWriter(256);
    const at = beginFrame(w, FrameKind.SnapshotBegin);
    writeMessage(w, m, false);
    endFrame(w, at);
    const frames = [w.finish()];
    for (let off = 0; off < data.length; off += this.chunkBytes) {
      frames.push(encodeFrame(FrameKind.SnapshotChunk, data.subarray(off, off + this.chunkBytes)));
    }
    frames.push(encodeFrame(FrameKind.SnapshotEnd, new Uint8Array(0)));
    return frames;
  }

  async stop(): Promise<void> {
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
    for (const s of this.inbound) s.destroy();
    this.inbound.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
