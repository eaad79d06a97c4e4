/** Command-line flags of raft-kv. Any mistake is a {@link FlagError}: the server prints it and exits 2. */

export class FlagError extends Error {}

export interface KvFlags {
  id: string;
  data: string;
  raft: { host: string; port: number };
  http: { host: string; port: number };
  peers: Record<string, string>;
  tickMs: number;
  snapshotEvery: number;
}

export const USAGE =
  'usage: raft-kv --id ID --data DIR --raft HOST:PORT --http HOST:PORT --peers ID1=HOST:PORT,ID2=HOST:PORT,...\n' +
  '       [--tick-ms N (default 50)] [--snapshot-every N (default 100000)]';

function hostPort(flag: string, v: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 0 || port > 65535) throw new FlagError(`${flag}: expected HOST:PORT, got ${JSON.stringify(v)}`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new FlagError(`${flag}: expected a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export function parseFlags(argv: readonly string[]): KvFlags {
  const known = new Set(['--id', '--data', '--raft', '--http', '--peers', '--tick-ms', '--snapshot-every']);
  const seen = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i] as string;
    let v: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (a === '--help' || a === '-h') throw new FlagError('');
    if (!known.has(a)) throw new FlagError(`unknown flag ${JSON.stringify(a)}`);
    if (v === undefined) {
      v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new FlagError(`${a} needs a value`);
    }
    if (seen.has(a)) throw new FlagError(`${a} given twice`);
    seen.set(a, v);
  }
  for (const f of ['--id', '--data', '--raft', '--http', '--peers']) {
    if (!seen.has(f)) throw new FlagError(`missing ${f}`);
  }
  const id = seen.get('--id') as string;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new FlagError(`--id: use 1-64 letters, digits, '.', '_' or '-'`);
  const peers: Record<string, string> = {};
  for (const part of (seen.get('--peers') as string).split(',')) {
    const [pid, addr, extra] = part.split('=');
    if (!pid || !addr || extra !== undefined) throw new FlagError(`--peers: expected ID=HOST:PORT, got ${JSON.stringify(part)}`);
    hostPort(`--peers ${pid}`, addr);
    if (peers[pid]) throw new FlagError(`--peers: ${pid} listed twice`);
    peers[pid] = addr;
  }
  if (!peers[id]) throw new FlagError(`--peers must include this node (${id})`);
  const raft = hostPort('--raft', seen.get('--raft') as string);
  if (raft.port === 0) throw new FlagError('--raft: port 0 is not allowed (peers must know the address)');
  const httpAddr = hostPort('--http', seen.get('--http') as string);
  if (httpAddr.port === 0) throw new FlagError('--http: port 0 is not allowed (followers redirect clients to this address)');
  // The host may differ (listen on 0.0.0.0, advertise a routable address); a different port is a typo.
  if (hostPort(`--peers ${id}`, peers[id]).port !== raft.port) {
    throw new FlagError(`--peers says ${id} is at ${peers[id]} but --raft listens on port ${raft.port}`);
  }
  return {
    id,
    data: seen.get('--data') as string,
    raft,
    http: httpAddr,
    peers,
    tickMs: seen.has('--tick-ms') ? positiveInt('--tick-ms', seen.get('--tick-ms') as string) : 50,
    snapshotEvery: seen.has('--snapshot-every') ? positiveInt('--snapshot-every', seen.get('--snapshot-every') as string) : 100_000,
  };
}
