/**
 * Registry benchmark (see specs/benchmarks.md): images through Debian's docker-registry (TLS,
 * htpasswd), ours against the reference in the same invocation on the same machine.
 *   compose  a 5-service project whose images are on a loopback registry and not on the engine:
 *            `tscompose up -d --pull always` vs docker-compose 1.29 `up -d` (which pulls what is
 *            missing; 1.29 has no --pull), and `pull` vs `pull`; the floor is the same images
 *            pulled by 5 parallel `docker pull`s. Images are removed before every timed command.
 *   swarm    a 3-replica stack of an image no node has (a new one each run), deployed with
 *            `--with-registry-auth`, timed from the command to 3 tasks running: tsswarm on lab A
 *            (`tsbra`, 10.199.10.0/24) vs Docker Swarm on lab B (`tsbrb`, 10.199.11.0/24). One
 *            registry process per lab bridge (the same binary, config, storage disk and images):
 *            a registry's certificate names the one address it listens on. Lab B's engines run
 *            without DOCKER_SERVICE_PREFER_OFFLINE_IMAGE, so Swarm's agents pull as in production.
 * Every image's top layer is fresh random bytes (--layer-mb), so every pull transfers it.
 * Run through test/bench/registry.bench.mjs (`npm run bench:registry [-- --runs N --warmup W
 * --layer-mb MB --only compose|swarm]`). Not part of the test suite. Needs root (the labs).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Lab, eventually, run, teardownLab, type LabConfig } from '../lab/harness.js';
import { SwarmNodes, TSSWARM_BIN } from '../lab/swarm-nodes.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: expected a number, got ${String(process.argv[i + 1])}`);
  return v;
}
const RUNS = flag('runs', 3);
const WARMUP = flag('warmup', 1);
const LAYER_MB = flag('layer-mb', 8);
const ONLY = ((): string | undefined => {
  const i = process.argv.indexOf('--only');
  return i < 0 ? undefined : process.argv[i + 1];
})();
const SERVICES = 5;
const REPLICAS = 3;
const TIMEOUT_MS = 180_000;
const HOSTS = ['h1', 'h2', 'h3'];
const CFG_A: LabConfig = { name: 'tsbra', net: 10 };
const CFG_B: LabConfig = { name: 'tsbrb', net: 11 };
const USER = 'bench';
const PASS = `pw-${randomBytes(8).toString('hex')}`;
const TSCOMPOSE = path.resolve('bin/tscompose.mjs');
const BASE = 'tscompose-test/busybox:latest';

const log = (m: string): void => console.log(`[registry-bench] ${m}`);
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const dir = mkdtempSync(path.join(tmpdir(), 'tsregbench-'));
const dockerConfig = path.join(dir, 'docker');
const env = { ...process.env, DOCKER_CONFIG: dockerConfig, TSCOMPOSE_NO_MEMO: '1' };

function writeDockerConfig(hosts: readonly string[]): void {
  mkdirSync(dockerConfig, { recursive: true });
  const auth = Buffer.from(`${USER}:${PASS}`).toString('base64');
  writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: Object.fromEntries(hosts.map((h) => [h, { auth }])) }));
}

/** Builds `ref` (the test image plus a fresh random layer), pushes it with the bench's credentials and removes it here. */
async function pushFresh(refs: readonly string[]): Promise<void> {
  const [first, ...rest] = refs;
  const bytes = LAYER_MB * 1024 * 1024;
  await run('docker', ['build', '-q', '-t', first!, '-'], { input: `FROM ${BASE}\nRUN head -c ${bytes} /dev/urandom > /blob && echo ${randomBytes(4).toString('hex')} > /id\n` });
  for (const r of rest) await run('docker', ['tag', first!, r]);
  for (const r of refs) await run('docker', ['--config', dockerConfig, 'push', r], { env });
  await removeLocal(refs);
}

async function removeLocal(refs: readonly string[]): Promise<void> {
  await run('docker', ['rmi', '-f', ...refs], { check: false });
}

async function timed(cmd: string, args: readonly string[]): Promise<number> {
  const t0 = performance.now();
  const r = await run(cmd, args, { check: false, env, timeoutMs: TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  return performance.now() - t0;
}

// ---------------------------------------------------------------- compose

const composeResults: Record<'up-tscompose' | 'up-compose' | 'pull-tscompose' | 'pull-compose' | 'floor', number[]> = {
  'up-tscompose': [],
  'up-compose': [],
  'pull-tscompose': [],
  'pull-compose': [],
  floor: [],
};

async function composeBench(): Promise<void> {
  const reg = await startRegistry({ address: '127.0.0.1', port: 5055, users: { [USER]: PASS } });
  try {
    writeDockerConfig([reg.host]);
    const file = path.join(dir, 'compose.yaml');
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const measured = i >= WARMUP;
      const refs = Array.from({ length: SERVICES }, (_, k) => `${reg.host}/bench/s${k}:r${i}`);
      // Five images sharing one fresh layer would pull it once: each gets its own.
      for (const r of refs) await pushFresh([r]);
      writeFileSync(file, `services:\n${refs.map((r, k) => `  s${k}:\n    image: ${r}\n    init: true\n    command: ["sleep", "3600"]\n`).join('')}`);
      log(`compose run ${i + 1}/${WARMUP + RUNS}${measured ? '' : ' (warm-up)'}; load ${loadavg()}`);
      const order = i % 2 === 0 ? ['tscompose', 'compose'] : ['compose', 'tscompose'];
      for (const who of order) {
        await removeLocal(refs);
        const up = who === 'tscompose' ? await timed(process.execPath, [TSCOMPOSE, '-p', 'regbench', '-f', file, 'up', '-d', '--pull', 'always']) : await timed('docker-compose', ['-p', 'regbench', '-f', file, 'up', '-d']);
        await run(who === 'tscompose' ? process.execPath : 'docker-compose', [...(who === 'tscompose' ? [TSCOMPOSE] : []), '-p', 'regbench', '-f', file, 'down', '-t', '0'], { env, check: false });
        await removeLocal(refs);
        const pull = who === 'tscompose' ? await timed(process.execPath, [TSCOMPOSE, '-p', 'regbench', '-f', file, 'pull', '-q']) : await timed('docker-compose', ['-p', 'regbench', '-f', file, 'pull', '-q']);
        if (measured) {
          composeResults[who === 'tscompose' ? 'up-tscompose' : 'up-compose'].push(up);
          composeResults[who === 'tscompose' ? 'pull-tscompose' : 'pull-compose'].push(pull);
        }
        log(`  ${who}: up ${(up / 1000).toFixed(2)} s, pull ${(pull / 1000).toFixed(2)} s`);
      }
      await removeLocal(refs);
      const t0 = performance.now();
      await Promise.all(refs.map((r) => run('docker', ['--config', dockerConfig, 'pull', '-q', r], { env })));
      const floor = performance.now() - t0;
      if (measured) composeResults.floor.push(floor);
      log(`  floor (5 parallel docker pull): ${(floor / 1000).toFixed(2)} s`);
      await removeLocal(refs);
    }
  } finally {
    await reg.stop();
  }
}

// ---------------------------------------------------------------- swarm

const swarmResults: Record<'tsswarm' | 'swarm', number[]> = { tsswarm: [], swarm: [] };

async function runningTasks(lab: Lab, label: string): Promise<number> {
  let n = 0;
  for (const h of HOSTS) n += (await lab.docker(h, ['ps', '-q', '--filter', `label=${label}`], { check: false })).stdout.split('\n').filter(Boolean).length;
  return n;
}

async function untilTasks(lab: Lab, label: string, n: number, t0: number, what: string): Promise<number> {
  await eventually(async () => ((await runningTasks(lab, label)) === n ? true : undefined), { timeoutMs: TIMEOUT_MS, intervalMs: 100, what });
  return performance.now() - t0;
}

function stackFile(image: string, name: string): string {
  const f = path.join(dir, `${name}.yaml`);
  writeFileSync(f, `services:\n  app:\n    image: ${image}\n    init: true\n    command: ["sleep", "3600"]\n    deploy:\n      replicas: ${REPLICAS}\n`);
  return f;
}

async function swarmBench(): Promise<void> {
  await teardownLab(CFG_A);
  await teardownLab(CFG_B);
  let labA: Lab | undefined;
  let labB: Lab | undefined;
  let sw: SwarmNodes | undefined;
  const regs: RunningRegistry[] = [];
  try {
    labA = await Lab.up({ ...CFG_A, hosts: 3 });
    labB = await Lab.up({ ...CFG_B, hosts: 3, swarmPulls: true });
    for (const lab of [labA, labB]) regs.push(await startRegistry({ address: lab.bridgeIp, port: 5000, users: { [USER]: PASS }, trustForEngine: true }));
    writeDockerConfig(regs.map((r) => r.host));
    sw = new SwarmNodes(labA, { env: { TSSWARM_HEARTBEAT_MS: '' } });
    await sw.form(HOSTS);
    const b1 = labB.host('h1');
    await labB.docker(b1, ['swarm', 'init', '--advertise-addr', b1.ip]);
    const token = (await labB.docker(b1, ['swarm', 'join-token', 'manager', '-q'])).stdout.trim();
    for (const h of ['h2', 'h3']) await labB.docker(h, ['swarm', 'join', '--token', token, '--advertise-addr', labB.host(h).ip, `${b1.ip}:2377`], { timeoutMs: 120_000 });
    log('tsswarm and Docker Swarm: 3 managers each');
    const a1 = labA.host('h1');
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const measured = i >= WARMUP;
      const [ra, rb] = [`${regs[0]!.host}/bench/app:r${i}`, `${regs[1]!.host}/bench/app:r${i}`];
      await pushFresh([ra, rb]);
      log(`swarm run ${i + 1}/${WARMUP + RUNS}${measured ? '' : ' (warm-up)'}; load ${loadavg()}`);
      const order = i % 2 === 0 ? (['tsswarm', 'swarm'] as const) : (['swarm', 'tsswarm'] as const);
      for (const who of order) {
        let ms: number;
        if (who === 'tsswarm') {
          const t0 = performance.now();
          const r = await labA.exec(a1, [process.execPath, TSSWARM_BIN, '--host', sw.socket(a1), '--data-dir', sw.dataDir(a1), 'stack', 'deploy', '--with-registry-auth', '-c', stackFile(ra, 'a'), 'bench'], { env, check: false, timeoutMs: TIMEOUT_MS });
          if (r.code !== 0) throw new Error(`tsswarm stack deploy: ${r.stderr}`);
          ms = await untilTasks(labA, 'com.tsswarm.service.name=bench_app', REPLICAS, t0, 'tsswarm: 3 tasks running');
          await sw.ok('h1', ['stack', 'rm', 'bench']);
          await eventually(async () => ((await runningTasks(labA!, 'com.tsswarm.service.name=bench_app')) === 0 ? true : undefined), { timeoutMs: TIMEOUT_MS, what: 'tsswarm: stack removed' });
        } else {
          const t0 = performance.now();
          await labB.docker(b1, ['stack', 'deploy', '--with-registry-auth', '-c', stackFile(rb, 'b'), 'bench'], { env, timeoutMs: TIMEOUT_MS });
          ms = await untilTasks(labB, 'com.docker.swarm.service.name=bench_app', REPLICAS, t0, 'Docker Swarm: 3 tasks running').catch(async (e: unknown) => {
            log((await labB!.docker(b1, ['service', 'ps', '--no-trunc', 'bench_app'], { check: false })).stdout);
            throw e;
          });
          // Docker sometimes reports the stack's network gone while removing it; the wait below is what counts.
          await labB.docker(b1, ['stack', 'rm', 'bench'], { check: false });
          await eventually(async () => ((await runningTasks(labB!, 'com.docker.swarm.service.name=bench_app')) === 0 ? true : undefined), { timeoutMs: TIMEOUT_MS, what: 'Docker Swarm: stack removed' });
        }
        if (measured) swarmResults[who].push(ms);
        log(`  ${who}: ${(ms / 1000).toFixed(2)} s`);
      }
    }
  } finally {
    await sw?.stopAll().catch(() => undefined);
    await Promise.all([labA?.teardown() ?? teardownLab(CFG_A), labB?.teardown() ?? teardownLab(CFG_B)].map((p) => p.catch((e: unknown) => log(`teardown: ${(e as Error).message}`))));
    for (const r of regs) await r.stop();
  }
}

// ---------------------------------------------------------------- main

function row(what: string, ours: number[], theirs: number[], theirName: string): string {
  if (!ours.length || !theirs.length) return `| ${what} | - | - | - |`;
  const [a, b] = [median(ours), median(theirs)];
  return `| ${what} | ${(a / 1000).toFixed(2)} s | ${(b / 1000).toFixed(2)} s (${theirName}) | ${(a / b).toFixed(2)}x |`;
}

async function main(): Promise<number> {
  const started = Date.now();
  log(`${new Date().toISOString()}: ${RUNS} measured run(s) after ${WARMUP} warm-up; ${LAYER_MB} MB fresh layer per image; load ${loadavg()}`);
  try {
    if (ONLY !== 'swarm') await composeBench();
    if (ONLY !== 'compose') await swarmBench();
  } catch (e) {
    log(`FAILED: ${(e as Error).stack ?? String(e)}`);
    return 1;
  } finally {
    for (const r of ['up-tscompose', 'up-compose', 'pull-tscompose', 'pull-compose', 'floor'] as const) if (composeResults[r].length) log(`${r}: ${composeResults[r].map((x) => (x / 1000).toFixed(2)).join('  ')} s`);
    for (const r of ['tsswarm', 'swarm'] as const) if (swarmResults[r].length) log(`stack deploy ${r}: ${swarmResults[r].map((x) => (x / 1000).toFixed(2)).join('  ')} s`);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('');
  console.log(`finished in ${((Date.now() - started) / 60000).toFixed(1)} min; load ${loadavg()}`);
  console.log('| scenario | ours | reference | ours / reference |');
  console.log('| --- | --- | --- | --- |');
  console.log(row(`up -d --pull always, ${SERVICES} services`, composeResults['up-tscompose'], composeResults['up-compose'], 'docker-compose 1.29 up -d'));
  console.log(row(`pull, ${SERVICES} services`, composeResults['pull-tscompose'], composeResults['pull-compose'], 'docker-compose 1.29 pull'));
  console.log(row(`pull, ${SERVICES} services, vs the floor`, composeResults['pull-tscompose'], composeResults.floor, `${SERVICES} parallel docker pull`));
  console.log(row(`stack deploy, ${REPLICAS} replicas of an image no node has`, swarmResults.tsswarm, swarmResults.swarm, 'Docker Swarm'));
  return 0;
}

const keepAlive = setInterval(() => undefined, 1 << 30);
process.exitCode = await main();
clearInterval(keepAlive);
