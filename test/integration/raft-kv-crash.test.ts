/**
 * Real processes, real disks, real kill -9: three raft-kv servers on loopback, a bounded writer,
 * at least 20 crash/restart cycles of the leader or a random follower. At the end every
 * acknowledged write is on every node with its acknowledged value, and the recorded history of a
 * few hot keys is linearizable (test/sim/linearizability.ts).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLinearizable, type Operation } from '../sim/linearizability.js';

const ROOT = join(import.meta.dirname, '..', '..');
const IDS = ['n1', 'n2', 'n3'] as const;
const CYCLES = 20;
const DEADLINE_MS = 170_000;

interface Member {
  id: string;
  raft: number;
  http: number;
  dir: string;
  proc: ChildProcess | null;
  log: string[];
}

const tmp = mkdtempSync(join(tmpdir(), 'raft-kv-crash-'));
const members: Member[] = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function start(m: Member): void {
  const peers = members.map((x) => `${x.id}=127.0.0.1:${x.raft}`).join(',');
  const p = spawn(process.execPath, [join(ROOT, 'dist/raft-kv.mjs'), '--id', m.id, '--data', m.dir, '--raft', `127.0.0.1:${m.raft}`, '--http', `127.0.0.1:${m.http}`, '--peers', peers, '--snapshot-every', '500'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  p.stderr?.on('data', (d: Buffer) => {
    m.log.push(d.toString());
    if (m.log.length > 200) m.log.splice(0, 100);
  });
  m.proc = p;
}

function kill9(m: Member): Promise<void> {
  const p = m.proc;
  m.proc = null;
  if (!p || p.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  });
}

interface Reply {
  status: number;
  body: string;
  location?: string;
}

/** One HTTP request. Rejects with `{ sent: boolean }` so callers know if it may have taken effect. */
function request(method: string, port: number, path: string, body?: string, timeoutMs = 3000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ...(res.headers.location ? { location: res.headers.location } : {}) }));
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the caller reads `sent` to count unacknowledged writes
      res.on('error', () => reject({ sent: true }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- as above
    req.on('error', (e: NodeJS.ErrnoException) => reject({ sent: e.code !== 'ECONNREFUSED' }));
    req.end(body);
  });
}

async function status(m: Member): Promise<{ role: string; leader: string | null; term: number; commitIndex: number; appliedIndex: number } | null> {
  try {
    const r = await request('GET', m.http, '/status', undefined, 1000);
    return r.status === 200 ? JSON.parse(r.body) : null;
  } catch {
    return null;
  }
}

async function findLeader(timeoutMs: number): Promise<Member | null> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const m of members) {
      if (!m.proc) continue;
      const s = await status(m);
      if (s?.role === 'leader') return m;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  for (const id of IDS) members.push({ id, raft: await freePort(), http: await freePort(), dir: join(tmp, id), proc: null, log: [] });
  for (const m of members) start(m);
});

afterAll(async () => {
  await Promise.all(members.map(kill9));
  agent.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

describe('raft-kv under repeated kill -9', () => {
  it('keeps every acknowledged write on every node, and the history is linearizable', async () => {
    const t0 = Date.now();
    expect(await findLeader(10_000)).not.toBeNull();

    const history: Operation[] = [];
    const acked = new Map<string, string>(); // unique key -> value acknowledged
    let stop = false;
    let leaderHint = members[0]!;
    let seq = 0;

    /** Send an op to the believed leader, following one redirect; returns the final reply or a failure kind. */
    async function perform(method: string, path: string, body?: string): Promise<Reply | 'not-executed' | 'unknown'> {
      let port = leaderHint.http;
      for (let hop = 0; hop < 2; hop++) {
        let r: Reply;
        try {
          r = await request(method, port, path, body);
        } catch (e) {
          return (e as { sent: boolean }).sent ? 'unknown' : 'not-executed';
        }
        if (r.status === 307 && r.location) {
          port = Number(new URL(r.location).port);
          const m = members.find((x) => x.http === port);
          if (m) leaderHint = m;
          continue;
        }
        return r;
      }
      return 'not-executed';
    }

    async function client(c: number): Promise<void> {
      for (let n = 0; n < 100_000 && !stop && Date.now() - t0 < DEADLINE_MS; n++) {
        const hot = `h${n % 3}`;
        const roll = (n * 7 + c) % 10;
        if (roll < 4) {
          // Unique key: must survive on every node if acknowledged.
          const key = `u-${c}-${n}`;
          const value = `v${++seq}`;
          const r = await perform('PUT', `/kv/${key}`, value);
          if (typeof r !== 'string' && r.status === 200) acked.set(key, value);
        } else {
          const call = performance.now();
          if (roll < 7) {
            const value = `c${c}-${++seq}`;
            const r = await perform('PUT', `/kv/${hot}`, value);
            if (r === 'not-executed' || (typeof r !== 'string' && (r.status === 503 && /no leader/.test(r.body)) || (typeof r !== 'string' && r.status === 307))) {
              // never reached a leader's log
            } else {
              history.push({ client: c, kind: 'put', key: hot, value, call, return: typeof r !== 'string' && r.status === 200 ? performance.now() : null });
            }
          } else {
            const r = await perform('GET', `/kv/${hot}`);
            if (typeof r !== 'string' && (r.status === 200 || r.status === 404)) {
              history.push({ client: c, kind: 'get', key: hot, output: r.status === 200 ? r.body : null, call, return: performance.now() });
            }
          }
        }
        if (typeof leaderHint.proc?.exitCode === 'number' || !leaderHint.proc) leaderHint = members[(c + n) % 3]!;
      }
    }

    const clients = [0, 1, 2, 3].map((c) => client(c).catch(() => undefined));

    let kills = 0;
    let rand = 12345;
    const next = () => (rand = (rand * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let cycle = 0; cycle < CYCLES && Date.now() - t0 < DEADLINE_MS - 30_000; cycle++) {
      const leader = await findLeader(8000);
      let victim: Member;
      if (leader && next() < 0.5) victim = leader;
      else victim = members[Math.floor(next() * 3)]!;
      await kill9(victim);
      kills++;
      await sleep(200 + Math.floor(next() * 600));
      start(victim);
      await sleep(300 + Math.floor(next() * 500));
    }
    stop = true;
    await Promise.all(clients);
    expect(kills).toBeGreaterThanOrEqual(CYCLES);

    // Let the cluster converge: a leader, and every member applied up to the leader's commit.
    const leader = await findLeader(10_000);
    expect(leader).not.toBeNull();
    // A no-op write through the leader makes sure everything before it is committed in this term.
    const fence = await request('PUT', leader!.http, '/kv/fence', 'x');
    expect(fence.status).toBe(200);
    const target = (await status(leader!))!.commitIndex;
    const end = Date.now() + 15_000;
    for (;;) {
      const sts = await Promise.all(members.map(status));
      if (sts.every((s) => s !== null && s.appliedIndex >= target)) break;
      if (Date.now() > end) throw new Error(`members did not converge: ${JSON.stringify(sts)}`);
      await sleep(100);
    }

    expect(acked.size).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const m of members) {
      for (const [key, value] of acked) {
        const r = await request('GET', m.http, `/kv/${key}?stale=1`);
        if (r.status !== 200 || r.body !== value) missing.push(`${m.id}: ${key} want ${value} got ${r.status} ${r.body}`);
      }
    }
    expect(missing.slice(0, 10)).toEqual([]);

    const lin = checkLinearizable(history);
    if (!lin.ok) console.error('non-linearizable history for', lin.key, JSON.stringify(lin.history?.slice(0, 50)));
    expect(lin.ok).toBe(true);
    console.log(`raft-kv crash test: ${kills} kills, ${acked.size} acknowledged unique writes, ${history.length} hot-key ops, unknown keys ${lin.unknownKeys.length}, ${Math.round((Date.now() - t0) / 1000)} s`);
  }, 240_000);
});
