/**
 * VIP load-balancer benchmark (see specs/benchmarks.md, specs/networking.md): in a namespace of
 * its own (`ip netns add tslbbench`, deleted at the end), 1,000 VIPs x 10 backends.
 *   full      a full sync of the whole table (fresh programmer each run)
 *   partial   N single-membership changes (one backend out of, or back into, one VIP) through
 *             NftLbProgrammer's partial path, through the long-lived `nft -i` session (the
 *             default) and one-shot `nft -f -`: sync() latency (= the commit) with conntrack
 *             cleanup on (it runs in the background: changes back to back, so a cleanup overlaps
 *             the next change), the time from sync() until its cleanup had run, the same with
 *             each cleanup awaited before the next change (paced), and with cleanup off
 *   naive     the competitor: what a naive programmer does, the whole table re-sent per change
 *   floor     spawning `nsenter nft -f -` with a one-line script: no partial sync can beat it;
 *             `nsenter conntrack -R FILE` with one line: no cleanup can beat it
 * Targets: full <= 2 s, partial p99 <= 50 ms. The kernel's table is read back at the end and must
 * equal the last wanted table. No packets are sent.
 *
 * Run through test/bench/net-lb.bench.mjs (`node test/bench/net-lb.bench.mjs [-- --changes 200
 * --full-runs 5 --naive-changes 200 --seed 1]`), which bundles this file with esbuild. Root only.
 */
import { execFileSync } from 'node:child_process';
import { unlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NftLbProgrammer, readNftLb, renderFull, normalizeVipTable, spawnRunner, type VipTable } from '../../src/net/lb/index.js';

const NS_NAME = 'tslbbench';
const NS = `/var/run/netns/${NS_NAME}`;

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name}: expected a whole number, got ${String(process.argv[i + 1])}`);
  return v;
}
const VIPS = flag('vips', 1000);
const PER = flag('backends', 10);
const CHANGES = flag('changes', 200);
const NAIVE = flag('naive-changes', 200);
const FULL_RUNS = flag('full-runs', 5);
const SEED = flag('seed', 1);

/** mulberry32: a seeded PRNG, so every run makes the same changes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const vipAt = (i: number) => `10.100.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const backendAt = (i: number, j: number) => `10.${200 + Math.floor(i / 6000)}.${Math.floor((i % 6000) / 25)}.${(i % 25) * 10 + j + 1}`;

/**
 * The wanted tables: the start, then CHANGES single-membership changes (out, then back in).
 * `removes[k]`: step k takes a backend out, so it leaves UDP flows to delete (a backend back in
 * leaves none: its cleanup settles at once and is not counted in the "until ct done" rows).
 */
function changes(n: number, seed: number): { start: Map<string, string[]>; steps: Array<Map<string, string[]>>; removes: boolean[] } {
  const start = new Map<string, string[]>();
  for (let i = 0; i < VIPS; i++) start.set(vipAt(i), Array.from({ length: PER }, (_, j) => backendAt(i, j)));
  const rnd = prng(seed);
  const steps: Array<Map<string, string[]>> = [];
  const removes: boolean[] = [];
  let cur = start;
  const out: Array<{ vip: string; b: string }> = [];
  for (let k = 0; k < n; k++) {
    const next = new Map(cur);
    if (k % 2 === 0 || out.length === 0) {
      const vip = vipAt(Math.floor(rnd() * VIPS));
      const bs = next.get(vip)!;
      const b = bs[Math.floor(rnd() * bs.length)]!;
      next.set(vip, bs.filter((x) => x !== b));
      out.push({ vip, b });
      removes.push(true);
    } else {
      const { vip, b } = out.splice(Math.floor(rnd() * out.length), 1)[0]!;
      next.set(vip, [...next.get(vip)!, b]);
      removes.push(false);
    }
    steps.push(next);
    cur = next;
  }
  return { start, steps, removes };
}
const asTable = (m: Map<string, string[]>): VipTable => ({ vips: [...m].map(([vip, backends]) => ({ vip, backends })) });

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}
const ms = (x: number) => x.toFixed(1).padStart(8);
const now = () => Number(process.hrtime.bigint()) / 1e6;

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function row(name: string, xs: number[], bytes: number): string {
  return `${name.padEnd(54)} ${String(xs.length).padStart(5)} ${ms(pct(xs, 50))} ${ms(pct(xs, 99))} ${ms(Math.max(...xs))} ${String(Math.round(bytes)).padStart(10)}`;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (it creates a network namespace)');
  try {
    execFileSync('ip', ['netns', 'del', NS_NAME], { stdio: 'ignore' }); // a previous run's, if it crashed
  } catch {
    /* none */
  }
  execFileSync('ip', ['netns', 'add', NS_NAME]);
  try {
    const { start, steps, removes } = changes(Math.max(CHANGES, NAIVE), SEED);
    const run = spawnRunner();
    console.log(`net-lb bench: ${VIPS} VIPs x ${PER} backends, ${CHANGES} changes (${NAIVE} naive), seed ${SEED}, nft ${execFileSync('nft', ['--version']).toString().trim()}, load average ${load()}`);

    // full: a fresh programmer each time, so the sync is full (conntrack UDP flush included).
    const full: number[] = [];
    let fullBytes = 0;
    for (let r = 0; r < FULL_RUNS + 1; r++) {
      const p = new NftLbProgrammer();
      const t0 = now();
      const res = await p.sync(NS, asTable(start));
      const dt = now() - t0;
      if (res.mode !== 'full') throw new Error(`expected a full sync, got ${res.mode}`);
      await res.cleanup; // its UDP flush must not overlap the next run
      if (r > 0) full.push(dt); // the first run is warm-up
      fullBytes = res.bytes;
    }

    // partial: our path, with and without conntrack cleanup.
    const scenarios = [
      { name: 'ours: nft -i', sessions: true, conntrack: true, paced: false },
      { name: 'ours: nft -i', sessions: true, conntrack: true, paced: true },
      { name: 'ours: nft -i', sessions: true, conntrack: false, paced: false },
      { name: 'one-shot nft -f', sessions: false, conntrack: true, paced: false },
      { name: 'one-shot nft -f', sessions: false, conntrack: false, paced: false },
    ];
    const results: Array<{ name: string; xs: number[]; bytes: number }> = [];
    const commits = new Map<string, number[]>();
    for (const sc of scenarios) {
      const p = new NftLbProgrammer({ conntrack: sc.conntrack, ...(sc.sessions ? {} : { sessions: false }) });
      await (await p.sync(NS, asTable(start))).cleanup;
      const xs: number[] = [];
      const done: number[] = [];
      const cleanups: Array<Promise<unknown>> = [];
      let bytes = 0;
      for (const [k, step] of steps.slice(0, CHANGES).entries()) {
        const t0 = now();
        const res = await p.sync(NS, asTable(step));
        xs.push(now() - t0);
        if (res.mode !== 'partial') throw new Error(`expected a partial sync, got ${res.mode} (${res.fullReason ?? ''})`);
        bytes += res.bytes;
        const settled = res.cleanup.then((c) => {
          if (c.warnings.length > 0) throw c.warnings[0]!;
          if (c.skipped !== undefined) throw new Error(`cleanup skipped: ${c.skipped}`);
          if (removes[k]) done.push(now() - t0);
        });
        cleanups.push(settled);
        if (sc.paced) await settled;
      }
      await Promise.all(cleanups);
      p.close();
      const label = `${sc.name} partial${sc.conntrack ? (sc.paced ? ' + ct, paced' : ' + ct') : ' (nft only)'}`;
      commits.set(`${sc.sessions ? 'i' : '1'}${sc.conntrack ? (sc.paced ? 'p' : 'c') : 'n'}`, xs);
      results.push({ name: `${label}: sync`, xs, bytes: bytes / xs.length });
      if (sc.conntrack) results.push({ name: `${label}: until ct done (removals)`, xs: done, bytes: bytes / xs.length });
      const back = await readNftLb(NS, run);
      const want = normalizeVipTable(asTable(steps[CHANGES - 1] ?? start));
      if (JSON.stringify(back?.table) !== JSON.stringify({ vips: [...want].map(([vip, backends]) => ({ vip, backends })) })) {
        throw new Error('the kernel table differs from the last wanted table');
      }
    }

    // naive: the whole table re-rendered and re-sent per change.
    const naive: number[] = [];
    let naiveBytes = 0;
    for (const step of steps.slice(0, NAIVE)) {
      const t0 = now();
      const script = renderFull(normalizeVipTable(asTable(step)));
      const r = await run(['nsenter', `--net=${NS}`, 'nft', '-f', '-'], script);
      naive.push(now() - t0);
      if (r.code !== 0) throw new Error(r.stderr);
      naiveBytes += script.length;
    }

    // floor: the process spawns alone.
    const floor: number[] = [];
    for (let k = 0; k < Math.min(CHANGES, 100); k++) {
      const t0 = now();
      await run(['nsenter', `--net=${NS}`, 'nft', '-f', '-'], 'add table ip tsswarm-lb\n');
      floor.push(now() - t0);
    }
    const ctFloor: number[] = [];
    const ctFile = join(tmpdir(), `tslbbench-ct-${process.pid}`);
    writeFileSync(ctFile, '-D -p udp --orig-dst 10.100.0.1 --reply-src 10.200.0.1\n');
    try {
      for (let k = 0; k < Math.min(CHANGES, 100); k++) {
        const t0 = now();
        const r = await run(['nsenter', `--net=${NS}`, 'conntrack', '-R', ctFile]);
        ctFloor.push(now() - t0);
        if (r.code !== 0) throw new Error(r.stderr);
      }
    } finally {
      unlinkSync(ctFile);
    }

    console.log(`\n${'scenario'.padEnd(54)} ${'n'.padStart(5)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'bytes/op'.padStart(10)}`);
    console.log(row('ours: full sync (1000 x 10)', full, fullBytes));
    for (const r of results) console.log(row(r.name, r.xs, r.bytes));
    console.log(row('naive: full re-sync per change', naive, naiveBytes / Math.max(1, naive.length)));
    console.log(row('floor: nsenter nft -f - (1 line)', floor, 24));
    console.log(row('floor: nsenter conntrack -R FILE (1 line)', ctFloor, 0));
    const ours = commits.get('ic')!;
    const oneShot = commits.get('1c')!;
    const nftOnly = commits.get('in')!;
    const r = (a: number[], b: number[], p: number) => (pct(a, p) / pct(b, p)).toFixed(3);
    console.log(`\nratios  ours/naive per change: p50 ${r(ours, naive, 50)}  p99 ${r(ours, naive, 99)}  (naive/ours p50 ${(pct(naive, 50) / pct(ours, 50)).toFixed(1)}x)`);
    console.log(`        nft -i / one-shot (+ct): p50 ${r(ours, oneShot, 50)}  p99 ${r(ours, oneShot, 99)}; nft only: p50 ${r(nftOnly, commits.get('1n')!, 50)}  p99 ${r(nftOnly, commits.get('1n')!, 99)}`);
    console.log(`        per change / spawn floor: nft -i +ct p50 ${r(ours, floor, 50)} p99 ${r(ours, floor, 99)}; nft -i only p50 ${r(nftOnly, floor, 50)}; one-shot +ct p50 ${r(oneShot, floor, 50)} p99 ${r(oneShot, floor, 99)}`);
    const okFull = pct(full, 50) <= 2000;
    const okPart = pct(ours, 99) <= 50;
    console.log(`targets full p50 <= 2000 ms: ${okFull ? 'met' : 'MISSED'}; partial (nft -i + ct, sync) p99 <= 50 ms: ${okPart ? 'met' : 'MISSED'}`);
    console.log(`load average at the end: ${load()}`);
  } finally {
    execFileSync('ip', ['netns', 'del', NS_NAME]);
  }
}

await main();
