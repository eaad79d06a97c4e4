/**
 * raft-kv: a replicated key-value store over the raft library, served over HTTP.
 * See examples/raft-kv/README.md for the interface.
 */
import http from 'node:http';
import {
  NotLeaderError,
  ProposalDroppedError,
  RaftNode,
  RaftNodeError,
  StorageFailedError,
  TimeoutError,
} from '../../src/raft/node/index.js';
import { FlagError, USAGE, parseFlags, type KvFlags } from './flags.js';
import { KvStore, encodeCommand } from './kv-store.js';

const MAX_BODY = 1024 * 1024;
const MAX_KEY = 1024;

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} raft-kv: ${msg}\n`);
}

let flags: KvFlags;
try {
  flags = parseFlags(process.argv.slice(2));
} catch (e) {
  if (e instanceof FlagError) {
    if (e.message) process.stderr.write(`raft-kv: ${e.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    process.exit(e.message ? 2 : 0);
  }
  throw e;
}

const store = new KvStore();
const httpAddress = `${flags.http.host}:${flags.http.port}`;
let announcing = false;

const node = new RaftNode<boolean>({
  id: flags.id,
  dataDir: flags.data,
  listen: flags.raft,
  peers: flags.peers,
  stateMachine: store,
  tickMs: flags.tickMs,
  snapshotEvery: flags.snapshotEvery,
  logger: { warn: log },
  onSoftState: (s) => {
    log(`role ${s.role}, leader ${s.leader ?? 'unknown'} (term ${node.status().term})`);
    if (s.role === 'leader') void announce();
  },
});

/** A new leader records its HTTP address in the replicated state so followers can redirect to it. */
async function announce(): Promise<void> {
  if (announcing) return;
  announcing = true;
  try {
    for (let i = 0; i < 20 && node.role === 'leader'; i++) {
      if (store.httpAddresses.get(flags.id) === httpAddress) return;
      try {
        await node.propose(encodeCommand({ op: 'http-address', id: flags.id, address: httpAddress }), { timeoutMs: 2000 });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    announcing = false;
  }
}

function send(res: http.ServerResponse, status: number, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-length': String(buf.length), 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream', ...headers });
  res.end(buf);
}

/** Not the leader: 307 to the leader's HTTP address when known, else 503. */
function redirect(res: http.ServerResponse, path: string, leader: string | null): void {
  const addr = leader === null ? undefined : store.httpAddresses.get(leader);
  if (leader !== null && addr) {
    send(res, 307, `not the leader; the leader is ${leader} at ${addr}\n`, { location: `http://${addr}${path}` });
  } else {
    send(res, 503, `no leader known yet${leader ? ` (leader ${leader} has not announced its HTTP address)` : ''}; retry shortly\n`, { 'retry-after': '1' });
  }
}

function failure(res: http.ServerResponse, path: string, e: unknown): void {
  if (e instanceof NotLeaderError) return redirect(res, path, e.leader);
  if (e instanceof TimeoutError) return send(res, 504, `${e.message}\n`);
  if (e instanceof ProposalDroppedError) return send(res, 503, `${e.message}\n`, { 'retry-after': '1' });
  if (e instanceof StorageFailedError) return send(res, 507, `${e.message}\n`);
  if (e instanceof RaftNodeError) return send(res, 503, `${e.message}\n`);
  log(`internal error: ${(e as Error)?.stack ?? String(e)}`);
  send(res, 500, 'internal error\n');
}

function readBody(req: http.IncomingMessage): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  if (path === '/status') {
    if (req.method !== 'GET') return send(res, 405, 'use GET /status\n', { allow: 'GET' });
    const s = node.status();
    const role = s.role === 'pre-candidate' ? 'candidate' : s.role;
    const body = JSON.stringify({ id: s.id, role, term: s.term, leader: s.leader, commitIndex: s.commit, appliedIndex: s.applied });
    return send(res, 200, body, { 'content-type': 'application/json' });
  }
  if (!path.startsWith('/kv/')) return send(res, 404, 'not found: use /kv/KEY or /status\n');
  let key: string;
  try {
    key = decodeURIComponent(path.slice(4));
  } catch {
    return send(res, 400, 'bad key: invalid percent-encoding\n');
  }
  if (key.length === 0) return send(res, 400, 'bad key: empty (use /kv/KEY)\n');
  if (Buffer.byteLength(key) > MAX_KEY) return send(res, 400, `bad key: longer than ${MAX_KEY} bytes\n`);
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'PUT' && method !== 'DELETE') return send(res, 405, `method ${method} not allowed on /kv/KEY\n`, { allow: 'GET, PUT, DELETE' });

  const fullPath = `${path}${url.search}`;
  if (method === 'GET' && url.searchParams.get('stale') === '1') {
    // Debugging and tests: this member's own applied state, not linearizable, never redirected.
    req.resume();
    const v = store.data.get(key);
    return v === undefined ? send(res, 404, 'key not found\n') : send(res, 200, v);
  }
  if (node.role !== 'leader') {
    req.resume();
    return redirect(res, fullPath, node.leader);
  }
  try {
    if (method === 'PUT') {
      const body = await readBody(req);
      if (body === null) return send(res, 413, `value larger than ${MAX_BODY} bytes\n`);
      await node.propose(encodeCommand({ op: 'put', key, value: body }));
      return send(res, 200, 'OK\n');
    }
    req.resume();
    if (method === 'DELETE') {
      await node.propose(encodeCommand({ op: 'delete', key }));
      return send(res, 200, 'OK\n');
    }
    await node.read();
    const v = store.data.get(key);
    if (v === undefined) return send(res, 404, 'key not found\n');
    return send(res, 200, v);
  } catch (e) {
    return failure(res, fullPath, e);
  }
}

async function main(): Promise<void> {
  try {
    await node.start();
  } catch (e) {
    log(`cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => failure(res, req.url ?? '/', e));
  });
  server.keepAliveTimeout = 60_000;
  server.on('error', (e) => {
    log(`http: ${e.message}`);
    process.exit(1);
  });
  server.listen(flags.http.port, flags.http.host, () => log(`${flags.id} serving http on ${httpAddress}, raft on ${flags.raft.host}:${flags.raft.port}`));
  const shutdown = (): void => {
    server.close();
    void node.stop().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

void main();
