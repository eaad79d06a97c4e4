/**
 * The per-host resolver: answers cluster names from a {@link DnsTable} for the containers of this
 * host and forwards everything else to the host's resolvers. Containers reach it through Docker's
 * embedded resolver (127.0.0.11), which forwards the names Docker does not know to the `--dns`
 * address we gave the container: the host's gateway address on that network.
 *
 * The sockets are the only state here; decisions come from wire.ts and dns-table.ts. listen() is
 * level-triggered like every other controller: it takes the full set of addresses that should be
 * served and converges to it, so an agent can call it on every reconcile.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { DEFAULT_TTL_SEC, buildTable, type DnsTable } from './dns-table.js';
import { DnsConfigError, DnsListenError, describeBindError, errnoOf, type DnsBindFailure } from './errors.js';
import { Forwarder } from './forwarder.js';
import { parseUpstream } from './upstreams.js';
import { RCODE, UDP_CLASSIC_LIMIT, decide, errorReply, fitUdp, rcodeReply, readHeader, udpLimit, type QueryOutcome } from './wire.js';

export interface DnsListenAddress {
  address: string;
  /** Default 53. 0 picks a free port (the same one for UDP and TCP); see {@link DnsResolver.bound}. */
  port?: number;
}

/** One query handled; for metrics and tests. `client` is the query's source address. */
export interface DnsQueryEvent {
  client: string;
  transport: 'udp' | 'tcp';
  name?: string;
  type?: string;
  outcome: QueryOutcome;
}

export interface DnsResolverOptions {
  /** Where names that are not ours go, tried in order: `"ip"`, `"ip:port"`, `"[v6]:port"`. */
  upstreams: readonly string[];
  /** The initial table; empty (forward everything) when omitted. Replace it with setTable(). */
  table?: DnsTable;
  /** TTL of our answers, default 2 s. */
  ttlSec?: number;
  /** Per upstream attempt, default 1000 ms. Docker's embedded resolver gives up on us after 4 s. */
  timeoutMs?: number;
  /** Forwards in progress at once, default 256; beyond that queries get SERVFAIL at once. */
  maxInFlight?: number;
  log: (msg: string) => void;
  onQuery?: (e: DnsQueryEvent) => void;
}

interface Listener {
  address: string;
  port: number;
  udp: dgram.Socket;
  tcp: net.Server;
  conns: Set<net.Socket>;
}

const TCP_IDLE_MS = 10_000;
const TCP_MAX_CONNECTIONS = 128;
/** Queries one TCP connection may have unanswered; a client pipelining more is cut off. */
const TCP_MAX_PENDING = 32;
const WARN_EVERY_MS = 10_000;
const PORT0_ATTEMPTS = 5;

function keyOf(address: string, port: number): string {
  return `${address}|${port}`;
}

export class DnsResolver {
  private table: DnsTable;
  private readonly ttlSec: number;
  private readonly forwarder: Forwarder;
  private readonly listeners = new Map<string, Listener>();
  /** Per-name query counts for rotation; only names in the table are counted, so it stays bounded. */
  private rotations = new Map<string, number>();
  private readonly lastWarn = new Map<string, { at: number; suppressed: number }>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: DnsResolverOptions) {
    const upstreams = o.upstreams.map(parseUpstream);
    this.table = o.table ?? buildTable([], []);
    this.ttlSec = o.ttlSec ?? DEFAULT_TTL_SEC;
    if (!Number.isInteger(this.ttlSec) || this.ttlSec < 0) throw new DnsConfigError(`ttlSec must be a whole number of seconds >= 0, got ${o.ttlSec}`);
    this.forwarder = new Forwarder({ upstreams, timeoutMs: o.timeoutMs ?? 1000, maxInFlight: o.maxInFlight ?? 256 });
    if (upstreams.length === 0) o.log('dns: no upstream resolvers: names that are not ours get SERVFAIL');
  }

  /** Serve this table from now on (queries in flight finish with the old one). */
  setTable(table: DnsTable): void {
    this.table = table;
    this.rotations = new Map();
  }

  /** The addresses being served, with their actual ports. */
  bound(): Array<{ address: string; port: number }> {
    return [...this.listeners.values()].map((l) => ({ address: l.address, port: l.port }));
  }

  /**
   * Converges the served addresses to `addresses`: binds the new ones (UDP and TCP), closes the
   * ones no longer listed, leaves the rest alone. Addresses that cannot be bound are reported
   * together in one {@link DnsListenError} after all the others are serving; the next call tries
   * them again (a network's gateway address appears only once Docker has created its bridge).
   */
  listen(addresses: readonly DnsListenAddress[]): Promise<void> {
    const run = this.chain.then(() => this.converge(addresses));
    this.chain = run.catch(() => undefined); // a failed call must not block the next one
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.forwarder.close();
    await this.chain;
    await Promise.all([...this.listeners.values()].map((l) => this.closeListener(l)));
    this.listeners.clear();
  }

  private async converge(addresses: readonly DnsListenAddress[]): Promise<void> {
    if (this.closed) throw new DnsConfigError('dns resolver is closed');
    const wanted = new Map<string, { address: string; port: number }>();
    for (const a of addresses) {
      if (!ipaddr.isValid(a.address)) throw new DnsConfigError(`listen address "${a.address}" is not an IP address`);
      const port = a.port ?? 53;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DnsConfigError(`listen port ${port} on ${a.address} is not 0-65535`);
      const address = ipaddr.parse(a.address).toString();
      wanted.set(keyOf(address, port), { address, port });
    }
    for (const [key, l] of this.listeners) {
      if (wanted.has(key)) continue;
      this.listeners.delete(key);
      await this.closeListener(l);
      this.o.log(`dns: stopped serving ${l.address}:${l.port}`);
    }
    const failures: DnsBindFailure[] = [];
    for (const [key, w] of wanted) {
      if (this.listeners.has(key)) continue;
      try {
        const l = await this.bindOne(w.address, w.port);
        this.listeners.set(key, l);
        this.o.log(`dns: serving ${l.address}:${l.port} (udp, tcp)`);
      } catch (e) {
        const errno = errnoOf(e);
        failures.push({ address: w.address, port: w.port, errno, message: describeBindError(w.address, w.port, errno) });
      }
    }
    if (failures.length > 0) throw new DnsListenError(failures);
  }

  private async bindOne(address: string, port: number): Promise<Listener> {
    const family = ipaddr.parse(address).kind() === 'ipv4' ? 'udp4' : 'udp6';
    for (let attempt = 1; ; attempt++) {
      const udp = dgram.createSocket({ type: family, reuseAddr: false });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address, port, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      }).catch((e: unknown) => {
        try {
          udp.close();
        } catch {
          // a socket whose bind failed may already count as closed
        }
        throw e;
      });
      const actual = udp.address().port;
      const tcp = net.createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen({ host: address, port: actual, exclusive: true }, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        // Nothing half-bound: an address serves both transports or neither.
        udp.close();
        if (port === 0 && errnoOf(e) === 'EADDRINUSE' && attempt < PORT0_ATTEMPTS) continue;
        throw e;
      }
      const l: Listener = { address, port: actual, udp, tcp, conns: new Set() };
      tcp.maxConnections = TCP_MAX_CONNECTIONS;
      udp.on('error', (e) => this.warn(`udp-error ${address}`, `dns: udp socket on ${address}:${actual}: ${e.message}`));
      tcp.on('error', (e) => this.warn(`tcp-error ${address}`, `dns: tcp server on ${address}:${actual}: ${e.message}`));
      udp.on('message', (msg, rinfo) => void this.onUdp(l, msg, rinfo));
      tcp.on('connection', (sock) => this.onTcp(l, sock));
      return l;
    }
  }

  private async closeListener(l: Listener): Promise<void> {
    try {
      l.udp.close();
    } catch {
      // already closed after an error
    }
    for (const c of l.conns) c.destroy();
    await new Promise<void>((resolve) => l.tcp.close(() => resolve()));
  }

  private rotation = (name: string): number => {
    if (!this.table.names.has(name)) return 0;
    const n = this.rotations.get(name) ?? 0;
    this.rotations.set(name, (n + 1) % 0x40000000);
    return n;
  };

  /** One query from either transport to the bytes of its answer (undefined: send nothing). */
  private async respond(msg: Buffer, client: string, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const d = decide(msg, { table: this.table, clientIp: client, ttlSec: this.ttlSec, rotation: this.rotation });
    const emit = (outcome: QueryOutcome, q?: { name: string; type: string }) => this.o.onQuery?.({ client, transport, outcome, ...(q ? { name: q.name, type: q.type } : {}) });
    if (d.kind === 'drop') {
      emit('dropped');
      return undefined;
    }
    if (d.kind === 'reply') {
      emit(d.outcome, d.question);
      return transport === 'udp' ? fitUdp(d.packet, d.query ? udpLimit(d.query) : UDP_CLASSIC_LIMIT) : d.packet;
    }
    const r = await this.forwarder.forward(msg, transport);
    if (r.ok) {
      emit('forwarded', d.question);
      return transport === 'udp' ? fitUdp(r.response, udpLimit(d.query)) : r.response;
    }
    if (r.reason === 'closed') return undefined;
    if (r.reason === 'busy') {
      emit('busy', d.question);
      this.warn('busy', `dns: ${this.o.maxInFlight ?? 256} forwards in flight; answering SERVFAIL`);
    } else {
      emit('servfail', d.question);
      if (r.errors.length > 0) this.warn('upstreams', `dns: every upstream failed for ${d.question.name} ${d.question.type}: ${r.errors.join('; ')}`);
    }
    return rcodeReply(d.query, RCODE.SERVFAIL);
  }

  private async onUdp(l: Listener, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    let out: Buffer | undefined;
    try {
      out = await this.respond(msg, rinfo.address, 'udp');
    } catch (e) {
      // decide() never throws; this is a bug elsewhere, and the server must keep serving.
      this.warn('bug', `dns: internal error on a query from ${rinfo.address}: ${(e as Error).message}`);
      const h = readHeader(msg);
      out = h ? errorReply(h, RCODE.SERVFAIL) : undefined;
    }
    if (!out) return;
    try {
      l.udp.send(out, rinfo.port, rinfo.address, (e) => e && this.warn('udp-send', `dns: reply to ${rinfo.address}: ${e.message}`));
    } catch {
      // the listener was closed while the query was being forwarded
    }
  }

  private onTcp(l: Listener, sock: net.Socket): void {
    l.conns.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('close', () => l.conns.delete(sock));
    const client = sock.remoteAddress ?? '';
    let buf: Buffer = Buffer.alloc(0);
    let pending = 0;
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      // RFC 7766: several length-prefixed queries may come on one connection, answered in any order.
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        if (++pending > TCP_MAX_PENDING) {
          sock.destroy();
          return;
        }
        void this.respond(msg, client, 'tcp')
          .catch((e: unknown) => {
            this.warn('bug', `dns: internal error on a tcp query from ${client}: ${(e as Error).message}`);
            const h = readHeader(msg);
            return h ? errorReply(h, RCODE.SERVFAIL) : undefined;
          })
          .then((out) => {
            pending--;
            if (!out || sock.destroyed) return;
            const len2 = Buffer.alloc(2);
            len2.writeUInt16BE(out.length, 0);
            sock.write(Buffer.concat([len2, out]));
          });
      }
    });
  }

  /** A log line at most every 10 s per kind, with a count of what was held back. */
  private warn(kind: string, msg: string): void {
    const now = Date.now();
    const w = this.lastWarn.get(kind);
    if (w && now - w.at < WARN_EVERY_MS) {
      w.suppressed++;
      return;
    }
    this.o.log(w && w.suppressed > 0 ? `${msg} (${w.suppressed} more like it not shown)` : msg);
    this.lastWarn.set(kind, { at: now, suppressed: 0 });
  }
}
