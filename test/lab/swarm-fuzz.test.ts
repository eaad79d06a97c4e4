/**
 * The manager API under a seeded fuzzer (test/fuzz/api-requests.ts) on two lab hosts (lab
 * `tsfuz`/15: h1 manager, h2 worker). `TSSWARM_FUZZ_REQUESTS` (default 2000) requests over every
 * route, 8 at a time, each on its own TLS connection with h1's manager certificate (some with
 * none): random JSON, mutated valid bodies, deep, huge, oversized and truncated bodies, wrong
 * methods, bad headers and paths. Asserted: every request gets an answer, every answer is 2xx or
 * 4xx (503/504 would be tolerated as the documented retry codes, never 500), both daemons stay up
 * with RSS growth under 400 MB, and `node ls` / `service ls` answer afterwards. Prints the status
 * histogram per kind. `TSSWARM_FUZZ_SEED` picks the sequence (default 1). Needs root.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_ROUTES, fuzzRequest, routeOf, wireBytes, type FuzzRequest } from '../fuzz/api-requests.js';
import { Lab, teardownLab, type LabConfig } from './harness.js';
import { API_PORT, SwarmNodes } from './swarm-nodes.js';

const CFG: LabConfig = { name: 'tsfuz', net: 15 };
const HOSTS = ['h1', 'h2'];
const REQUESTS = Number(process.env.TSSWARM_FUZZ_REQUESTS ?? 2000);
const SEED = Number(process.env.TSSWARM_FUZZ_SEED ?? 1);
const CONCURRENCY = 8;
const ANSWER_MS = 20_000;

let lab: Lab;
let sw: SwarmNodes;

/** RSS of a process and its descendants that run `tsswarm ... daemon` (the wrapper may be nsenter). */
function daemonRssKb(pid: number): number {
  const cmd = (p: number): string => readFileSync(`/proc/${p}/cmdline`, 'utf8');
  const kids = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (cmd(p).includes('daemon') && cmd(p).includes('tsswarm') && !cmd(p).startsWith('nsenter') && !cmd(p).startsWith('unshare')) {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    }
    queue.push(...kids(p));
  }
  throw new Error(`no daemon process under pid ${pid}`);
}

interface Outcome {
  status: number;
  ms: number;
  error?: string;
}

/** One request on its own TLS connection; status 0 is no answer. */
function send(q: FuzzRequest, addr: { host: string; port: number }, creds: { ca: string; cert: string; key: string }): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).subarray(0, 32).toString('latin1'));
      resolve({ status: m ? Number(m[1]) : 0, ms: Date.now() - started, ...(m || error === undefined ? {} : { error }) });
      s.destroy();
    };
    const s = tls.connect({ host: addr.host, port: addr.port, ca: creds.ca, servername: 'swarm-manager', ...(q.anonymous ? {} : { cert: creds.cert, key: creds.key }) }, () => {
      s.write(wireBytes(q), () => undefined);
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    // A reset after the answer (an oversized body the server stopped reading) still counts the answer.
    s.on('error', (e) => done(e.message));
    s.on('close', () => done('closed'));
    const timer = setTimeout(() => done(`no answer within ${ANSWER_MS} ms`), ANSWER_MS);
  });
}

describe('the manager API under a seeded fuzzer', () => {
  beforeAll(async () => {
    await teardownLab(CFG);
    lab = await Lab.up({ ...CFG, hosts: HOSTS.length });
    sw = new SwarmNodes(lab, { heartbeatMs: 2000 });
    await sw.form(HOSTS);
  }, 180_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') sw.dumpLogs(HOSTS, 30);
  });

  afterAll(async () => {
    if (process.env.TSLAB_KEEP === '1') return;
    await sw?.stopAll();
    await lab?.teardown();
  }, 120_000);

  it(`answers ${REQUESTS} fuzzed requests (seed ${SEED}) with 2xx/4xx only, and stays up`, async () => {
    const dir = sw.dataDir('h1');
    const creds = { ca: readFileSync(path.join(dir, 'ca.crt'), 'utf8'), cert: readFileSync(path.join(dir, 'node.crt'), 'utf8'), key: readFileSync(path.join(dir, 'node.key'), 'utf8') };
    const addr = { host: lab.host('h1').ip, port: API_PORT };
    const pids = HOSTS.map((h) => sw.pid(h)!);
    const rssBefore = pids.map(daemonRssKb);
    const histogram = new Map<string, number>();
    const byKind = new Map<string, Map<number, number>>();
    const bad: Array<{ n: number; q: FuzzRequest; o: Outcome }> = [];
    const routes = new Set<string>();
    let next = 0;
    let maxRssKb = rssBefore.slice();
    const started = Date.now();
    const sampler = setInterval(() => {
      try {
        maxRssKb = pids.map((p, i) => Math.max(maxRssKb[i]!, daemonRssKb(p)));
      } catch {
        // A daemon gone: asserted below.
      }
    }, 500);
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let n = next++; n < REQUESTS; n = next++) {
          const q = fuzzRequest(SEED, n);
          routes.add(routeOf(SEED, n));
          const o = await send(q, addr, creds);
          const cls = o.status === 0 ? 'none' : `${Math.floor(o.status / 100)}xx`;
          histogram.set(String(o.status), (histogram.get(String(o.status)) ?? 0) + 1);
          const k = byKind.get(q.kind) ?? new Map<number, number>();
          k.set(o.status, (k.get(o.status) ?? 0) + 1);
          byKind.set(q.kind, k);
          if (cls === 'none' || (cls === '5xx' && o.status !== 503)) bad.push({ n, q, o });
        }
      }),
    );
    clearInterval(sampler);
    const rssAfter = pids.map(daemonRssKb);
    const seconds = (Date.now() - started) / 1000;
    const sorted = [...histogram].sort((a, b) => Number(a[0]) - Number(b[0]));
    console.log(`fuzz: ${REQUESTS} requests, seed ${SEED}, ${seconds.toFixed(1)} s; status histogram: ${sorted.map(([s, c]) => `${s}: ${c}`).join(', ')}`);
    for (const [kind, m] of [...byKind].sort()) console.log(`  ${kind.padEnd(13)} ${[...m].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}: ${c}`).join(', ')}`);
    console.log(`fuzz: daemon RSS (MB) before ${rssBefore.map((k) => (k / 1024).toFixed(0)).join('/')}, max ${maxRssKb.map((k) => (k / 1024).toFixed(0)).join('/')}, after ${rssAfter.map((k) => (k / 1024).toFixed(0)).join('/')} (h1/h2)`);
    for (const b of bad.slice(0, 10)) console.log(`  bad #${b.n} ${b.q.kind} ${b.q.method} ${b.q.path.slice(0, 80)} (${b.q.body.length} bytes) -> ${b.o.status} ${b.o.error ?? ''}`);

    expect(bad.map((b) => `#${b.n} ${b.q.kind} ${b.q.method} ${b.q.path.slice(0, 60)} -> ${b.o.status} ${b.o.error ?? ''}`)).toEqual([]);
    if (REQUESTS >= 1000) expect([...FUZZ_ROUTES].filter((r) => !routes.has(r))).toEqual([]);
    for (const [i, p] of pids.entries()) {
      expect(() => process.kill(p, 0), `daemon of ${HOSTS[i]} is up`).not.toThrow();
      expect(maxRssKb[i]! - rssBefore[i]!, `RSS growth of ${HOSTS[i]} (kB)`).toBeLessThan(400 * 1024);
    }
    const nodes = await sw.ok('h1', ['node', 'ls']);
    expect(nodes).toMatch(/h1/);
    expect(nodes).toMatch(/h2/);
    await sw.ok('h1', ['service', 'ls']);
    await sw.ok('h2', ['node', 'ls']).catch(() => undefined); // a worker's CLI is refused by design; it must answer
  }, 600_000);
});
