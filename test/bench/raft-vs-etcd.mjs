#!/usr/bin/env node
// raft-kv vs etcd (Debian's etcd-server), both 3 members on 127.0.0.1 with fsync on, driven by the
// same Node load generator: 128-byte puts at concurrency 1, 64 and 256 (throughput, p50, p99), then
// a leader kill -9 under a steady writer (longest gap between successful writes).
// Usage: npm run bench:raft   (env: BENCH_SECONDS=5 BENCH_RUNS=3 BENCH_CONC=1,64,256)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = (process.env.BENCH_CONC ?? '1,64,256').split(',').filter(Boolean).map(Number);
const SYSTEMS = (process.env.BENCH_SYSTEMS ?? 'raft-kv,etcd').split(',');
const VALUE = 'v'.repeat(128);
const tmp = mkdtempSync(join(tmpdir(), 'bench-raft-'));
const procs = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cleanup() {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function spawnTracked(cmd, args) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  procs.add(p);
  p.on('exit', () => procs.delete(p));
  return p;
}

const running = (p) => p && p.exitCode === null && p.signalCode === null;

function kill9(p) {
  if (!running(p)) return Promise.resolve();
  return new Promise((r) => {
    p.once('exit', r);
    p.kill('SIGKILL');
  });
}

function request(agent, method, port, path, body, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, timeout: timeoutMs, headers: body ? { 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

// ---- systems under test ----

async function startRaftKv() {
  execFileSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: ROOT, stdio: 'inherit' });
  const members = [];
  for (const id of ['n1', 'n2', 'n3']) members.push({ id, raft: await freePort(), http: await freePort(), dir: join(tmp, 'kv', id), proc: null });
  const peers = members.map((m) => `${m.id}=127.0.0.1:${m.raft}`).join(',');
  const start = (m) => {
    m.proc = spawnTracked(process.execPath, [join(ROOT, 'dist/raft-kv.mjs'), '--id', m.id, '--data', m.dir, '--raft', `127.0.0.1:${m.raft}`, '--http', `127.0.0.1:${m.http}`, '--peers', peers]);
  };
  members.forEach(start);
  const agent = new http.Agent({ keepAlive: true });
  const sys = {
    name: 'raft-kv',
    members,
    start,
    async leader() {
      for (let i = 0; i < 200; i++) {
        for (const m of members) {
          try {
            const r = await request(agent, 'GET', m.http, '/status', undefined, 500);
            if (r.status === 200 && JSON.parse(r.body).role === 'leader') return m;
          } catch {}
        }
        await sleep(50);
      }
      throw new Error('raft-kv: no leader');
    },
    async put(agent, m, key, timeoutMs) {
      const r = await request(agent, 'PUT', m.http, `/kv/${key}`, VALUE, timeoutMs);
      return r.status === 200;
    },
  };
  await sys.leader();
  return sys;
}

async function startEtcd() {
  if (!existsSync('/usr/bin/etcd')) {
    console.log('installing etcd-server with apt-get ...');
    execFileSync('apt-get', ['install', '-y', 'etcd-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  const members = [];
  for (const id of ['e1', 'e2', 'e3']) members.push({ id, peer: await freePort(), http: await freePort(), dir: join(tmp, 'etcd', id), proc: null });
  const cluster = members.map((m) => `${m.id}=http://127.0.0.1:${m.peer}`).join(',');
  const start = (m, state = 'new') => {
    m.proc = spawnTracked('/usr/bin/etcd', [
      '--name', m.id, '--data-dir', m.dir,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--listen-client-urls', `http://127.0.0.1:${m.http}`, '--advertise-client-urls', `http://127.0.0.1:${m.http}`,
      '--initial-cluster', cluster, '--initial-cluster-state', state, '--initial-cluster-token', 'bench',
      '--log-level', 'error',
    ]);
  };
  members.forEach((m) => start(m));
  const agent = new http.Agent({ keepAlive: true });
  const b64 = (s) => Buffer.from(s).toString('base64');
  const sys = {
    name: 'etcd',
    members,
    start: (m) => start(m, 'existing'),
    async leader() {
      for (let i = 0; i < 300; i++) {
        for (const m of members) {
          try {
            const r = await request(agent, 'POST', m.http, '/v3/maintenance/status', '{}', 500);
            if (r.status !== 200) continue;
            const s = JSON.parse(r.body);
            if (s.leader && s.leader === s.header.member_id) return m;
          } catch {}
        }
        await sleep(50);
      }
      throw new Error('etcd: no leader');
    },
    async put(agent, m, key, timeoutMs) {
      const r = await request(agent, 'POST', m.http, '/v3/kv/put', JSON.stringify({ key: b64(key), value: b64(VALUE) }), timeoutMs);
      return r.status === 200;
    },
  };
  await sys.leader();
  return sys;
}

// ---- load ----

async function load(sys, conc, seconds) {
  const target = await sys.leader();
  const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
  const lat = [];
  let ok = 0;
  let failed = 0;
  const end = performance.now() + seconds * 1000;
  let n = 0;
  async function worker(w) {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        if (await sys.put(agent, target, `k${w}-${n++}`)) {
          ok++;
          lat.push(performance.now() - t);
        } else failed++;
      } catch {
        failed++;
      }
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, (_, w) => worker(w)));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { tput: ok / elapsed, p50: q(0.5), p99: q(0.99), failed };
}

async function failover(sys) {
  const leader = await sys.leader();
  const agent = new http.Agent({ keepAlive: true });
  let stop = false;
  const successes = [];
  const alive = () => sys.members.filter((m) => running(m.proc));
  async function writer(w) {
    let target = leader;
    for (let n = 0; !stop; n++) {
      try {
        // A short deadline: a request stuck on a dead or leaderless member must not hide recovery.
        if (await sys.put(agent, target, `f${w}-${n}`, 300)) {
          successes.push(performance.now());
          continue;
        }
      } catch {}
      // Find the new leader; raft-kv followers redirect, etcd followers forward: any live member works for etcd.
      const live = alive();
      target = live[(n + w) % live.length] ?? target;
      if (sys.name === 'raft-kv') {
        for (const m of live) {
          try {
            const r = await request(agent, 'GET', m.http, '/status', undefined, 300);
            if (r.status === 200 && JSON.parse(r.body).role === 'leader') target = m;
          } catch {}
        }
      }
      await sleep(10);
    }
  }
  const writers = [0, 1, 2, 3].map(writer);
  await sleep(2000);
  const killedAt = performance.now();
  await kill9(leader.proc);
  const elected = await sys.leader().then(() => performance.now() - killedAt, () => NaN);
  console.log(`  ${sys.name}: a new leader reported ${elected.toFixed(0)} ms after the kill`);
  await sleep(Math.max(0, 5000 - (performance.now() - killedAt)));
  const stopAt = performance.now();
  stop = true;
  await Promise.all(writers);
  agent.destroy();
  // The window runs from just before the kill to the end; no success at all after the kill counts
  // as a gap up to the end of the window.
  const inWindow = [killedAt - 500, ...successes.filter((t) => t >= killedAt - 500 && t <= stopAt).sort((a, b) => a - b), stopAt];
  let gap = 0;
  for (let i = 1; i < inWindow.length; i++) gap = Math.max(gap, inWindow[i] - inWindow[i - 1]);
  console.log(`  ${sys.name}: ${successes.filter((t) => t > killedAt).length} successful writes in the 5 s after the kill`);
  sys.start(leader);
  return gap;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/**
 * Both clusters run at once (the idle one costs little), and every run alternates between them, so
 * drifting background load on a shared machine hits both alike instead of favouring whichever
 * system happened to run in a quiet minute.
 */
async function measureAll(systems) {
  const out = new Map(systems.map((s) => [s, {}]));
  for (const sys of systems) if (CONCURRENCY.length > 0) await load(sys, 16, 1); // warm-up, discarded
  for (const c of CONCURRENCY) {
    const runs = new Map(systems.map((s) => [s, []]));
    for (let r = 0; r < RUNS; r++) for (const sys of systems) runs.get(sys).push(await load(sys, c, SECONDS));
    for (const sys of systems) {
      const rs = runs.get(sys);
      const o = (out.get(sys)[c] = {
        tput: median(rs.map((x) => x.tput)),
        p50: median(rs.map((x) => x.p50)),
        p99: median(rs.map((x) => x.p99)),
        failed: rs.reduce((a, x) => a + x.failed, 0),
      });
      console.log(`  ${sys.name} c=${c}: ${o.tput.toFixed(0)} puts/s, p50 ${o.p50.toFixed(2)} ms, p99 ${o.p99.toFixed(2)} ms (median of ${RUNS} x ${SECONDS}s; runs: ${rs.map((x) => x.tput.toFixed(0)).join(', ')} puts/s)`);
    }
  }
  for (const sys of systems) {
    out.get(sys).failover = await failover(sys);
    console.log(`  ${sys.name} failover gap: ${out.get(sys).failover.toFixed(0)} ms`);
  }
  for (const sys of systems) for (const m of sys.members) await kill9(m.proc);
  return systems.map((s) => out.get(s));
}

console.log(`raft-kv vs etcd: 3 members each on 127.0.0.1, fsync on, 128-byte puts, ${RUNS} runs x ${SECONDS}s per point, runs alternate between the systems`);
const systems = [];
if (SYSTEMS.includes('raft-kv')) systems.push(await startRaftKv());
if (SYSTEMS.includes('etcd')) systems.push(await startEtcd());
const results = await measureAll(systems);
if (systems.length < 2) process.exit(0); // one system only: its lines above are the result
const [kv, etcd] = results;
const etcdVersion = execFileSync('/usr/bin/etcd', ['--version']).toString().split('\n')[0];

const rows = [['metric', 'raft-kv', 'etcd', 'ratio (kv/etcd)', 'target']];
for (const c of CONCURRENCY) {
  rows.push([`c=${c} puts/s`, kv[c].tput.toFixed(0), etcd[c].tput.toFixed(0), (kv[c].tput / etcd[c].tput).toFixed(2), c >= 64 ? '>= 1.00' : '']);
  rows.push([`c=${c} p50 ms`, kv[c].p50.toFixed(2), etcd[c].p50.toFixed(2), (kv[c].p50 / etcd[c].p50).toFixed(2), '']);
  rows.push([`c=${c} p99 ms`, kv[c].p99.toFixed(2), etcd[c].p99.toFixed(2), (kv[c].p99 / etcd[c].p99).toFixed(2), '<= 2.00']);
}
rows.push(['failover gap ms', kv.failover.toFixed(0), etcd.failover.toFixed(0), (kv.failover / etcd.failover).toFixed(2), 'kv <= 1500 ms']);
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`\n${etcdVersion}`);
for (const r of rows) console.log(r.map((v, i) => v.padEnd(widths[i])).join('  '));
process.exit(0);
