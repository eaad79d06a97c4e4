/**
 * Relays queries that are not ours to the upstream resolvers, one after another: each attempt
 * has its own timeout, a refused or silent upstream passes the query to the next. UDP queries go
 * out over UDP, TCP queries over TCP (a client retrying over TCP after TC wants the whole answer).
 *
 * Every attempt uses a fresh socket (a random source port) and a fresh query id; the upstream's
 * answer is accepted only from that upstream with that id, then given back the client's id.
 * This keeps two clients that picked the same id apart and makes blind spoofing harder.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import type { Upstream } from './upstreams.js';

export interface ForwarderOptions {
  upstreams: readonly Upstream[];
  /** Per upstream attempt. */
  timeoutMs: number;
  /** Queries being forwarded at once; more are refused ('busy') instead of queued. */
  maxInFlight: number;
}

export type ForwardResult = { ok: true; response: Buffer } | { ok: false; reason: 'busy' | 'failed' | 'closed'; errors: string[] };

const QR = 0x8000;

export class Forwarder {
  private inFlight = 0;
  private closed = false;
  /** Open sockets of attempts in progress, destroyed on close(). */
  private readonly open = new Set<{ destroy: () => void }>();

  constructor(private readonly o: ForwarderOptions) {}

  get busy(): number {
    return this.inFlight;
  }

  async forward(query: Buffer, transport: 'udp' | 'tcp'): Promise<ForwardResult> {
    if (this.closed) return { ok: false, reason: 'closed', errors: [] };
    if (this.inFlight >= this.o.maxInFlight) return { ok: false, reason: 'busy', errors: [] };
    if (query.length < 12) return { ok: false, reason: 'failed', errors: ['query shorter than a header'] };
    this.inFlight++;
    const clientId = query.readUInt16BE(0);
    const errors: string[] = [];
    try {
      for (const u of this.o.upstreams) {
        if (this.closed) return { ok: false, reason: 'closed', errors };
        const id = randomInt(0, 0x10000);
        const out = Buffer.from(query);
        out.writeUInt16BE(id, 0);
        try {
          const resp = transport === 'udp' ? await this.viaUdp(u, out, id) : await this.viaTcp(u, out, id);
          resp.writeUInt16BE(clientId, 0);
          return { ok: true, response: resp };
        } catch (e) {
          errors.push(`${u.address}:${u.port}/${transport}: ${(e as Error).message}`);
        }
      }
      return { ok: false, reason: 'failed', errors };
    } finally {
      this.inFlight--;
    }
  }

  close(): void {
    this.closed = true;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  private viaUdp(u: Upstream, query: Buffer, id: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket(u.family === 4 ? 'udp4' : 'udp6');
      let done = false;
      const finish = (err: Error | undefined, resp?: Buffer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.open.delete(handle);
        try {
          sock.close();
        } catch {
          // already closed by a socket error: nothing left to release
        }
        if (err) reject(err);
        else resolve(resp!);
      };
      const handle = { destroy: () => finish(new Error('resolver closed')) };
      this.open.add(handle);
      const timer = setTimeout(() => finish(new Error(`no answer in ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
      // Connected, so an ICMP port-unreachable surfaces as ECONNREFUSED at once instead of a timeout,
      // and the kernel drops datagrams from any other source.
      sock.on('error', (e) => finish(e));
      sock.on('message', (msg) => {
        if (msg.length >= 12 && msg.readUInt16BE(0) === id && msg.readUInt16BE(2) & QR) finish(undefined, msg);
      });
      sock.connect(u.port, u.address, () => sock.send(query, (e) => e && finish(e)));
    });
  }

  private viaTcp(u: Upstream, query: Buffer, id: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: u.address, port: u.port });
      let buf: Buffer = Buffer.alloc(0);
      let done = false;
      const finish = (err: Error | undefined, resp?: Buffer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.open.delete(handle);
        sock.destroy();
        if (err) reject(err);
        else resolve(resp!);
      };
      const handle = { destroy: () => finish(new Error('resolver closed')) };
      this.open.add(handle);
      const timer = setTimeout(() => finish(new Error(`no answer in ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
      sock.on('error', (e) => finish(e));
      sock.on('end', () => finish(new Error('upstream closed the connection before answering')));
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 2) return;
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) return;
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        if (msg.length >= 12 && msg.readUInt16BE(0) === id) finish(undefined, msg);
        else finish(new Error('upstream answered another query id'));
      });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length, 0);
      sock.on('connect', () => sock.write(Buffer.concat([len, query])));
    });
  }
}
