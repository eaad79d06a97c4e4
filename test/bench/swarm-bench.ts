/**
 * Swarm benchmark (see specs/benchmarks.md): tsswarm vs Docker Swarm vs the engines' floor, in one
 * invocation on the same machine. Two labs of three hosts each (test/lab/harness.ts):
 *   lab A (`tsba`, 10.199.10.0/24): a tsswarm daemon per host, three managers;
 *   lab B (`tsbb`, 10.199.11.0/24): plain dockerd per host in swarm mode, three managers
 *     (the harness starts every lab dockerd with DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1).
 * Scenarios, each timed from the command to "all N tasks running", counted on the engines
 * themselves (running containers with the orchestrator's task and service labels):
 *   converge  create a service of 30 replicas (`--init busybox sleep 3600`, `--detach`)
 *   scale     30 -> 90
 *   recovery  kill -9 a non-leader node (tsswarm: its daemon and its engine; Swarm: its dockerd)
 *             until 30 run on the other two
 *   failover  kill -9 the leader (tsswarm: its daemon; Swarm: its dockerd) until a survivor
 *             accepts a write (a node label), probed every 100 ms, each probe bounded to 3 s
 * and the floor of converge and scale: the same containers created and started by direct parallel
 * API calls on lab A's engines (10 per host, then 20 more per host), once with every call at once
 * and once 8 at a time per host; the faster of the two is a run's floor. Both orchestrators run with
 * their default heartbeat (tsswarm 2 s, Swarm 5 s) unless --heartbeat-ms sets both.
 *
 * Run through test/bench/swarm.bench.mjs (`npm run bench:swarm [-- --runs N ...]`), which bundles
 * this file with esbuild. Not part of the test suite. Needs root (the lab).
 */
import * as http from 'node:http';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { Lab, eventually, residueOf, teardownLab, type LabConfig, type LabHost } from '../lab/harness.js';
import { SwarmNodes } from '../lab/swarm-nodes.js';

// ---------------------------------------------------------------- options

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: expected a number, got ${String(process.argv[i + 1])}`);
  return v;
}
function strFlag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const RUNS = flag('runs', 3);
const WARMUP = flag('warmup', 1);
const REPLICAS = flag('replicas', 30);
const SCALED = flag('scale', 90);
const TIMEOUT_MS = flag('timeout', 180) * 1000;
const HEARTBEAT_MS = flag('heartbeat-ms', 0); // 0: each orchestrator's default (tsswarm 2 s, Swarm 5 s)
const ONLY = strFlag('only'); // tsswarm | swarm | floor (development)
const FAULTS = !process.argv.includes('--no-faults');

const IMAGE = 'tscompose-test/busybox:latest';
const HOSTS = ['h1', 'h2', 'h3'] as const;
const CFG_A: LabConfig = { name: 'tsba', net: 10 };
const CFG_B: LabConfig = { name: 'tsbb', net: 11 };
const TS_TASK = 'com.tsswarm.task.id';
const TS_SERVICE = 'com.tsswarm.service.name';
const SW_TASK = 'com.docker.swarm.task.id';
const SW_SERVICE = 'com.docker.swarm.service.name';
const FLOOR_LABEL = 'tsbench.floor';

const log = (s: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// ---------------------------------------------------------------- results

type Outcome = number | 'timeout' | 'error';
type Column = 'tsswarm' | 'swarm' | 'floor';
const SCENARIOS = ['converge', 'scale', 'recovery', 'failover'] as const;
type Scenario = (typeof SCENARIOS)[number];
const results: Record<Scenario, Record<Column, Outcome[]>> = {
  converge: { tsswarm: [], swarm: [], floor: [] },
  scale: { tsswarm: [], swarm: [], floor: [] },
  recovery: { tsswarm: [], swarm: [], floor: [] },
  failover: { tsswarm: [], swarm: [], floor: [] },
};
const notes: string[] = [];
/** Recovery: ms from the kill until a survivor reports the victim down. */
const detection: Record<'tsswarm' | 'swarm', number[]> = { tsswarm: [], swarm: [] };

function record(s: Scenario, c: Column, o: Outcome, measured: boolean): void {
  const shown = typeof o === 'number' ? `${(o / 1000).toFixed(2)} s` : o.toUpperCase();
  log(`${measured ? '' : '(warm-up) '}${c} ${s}: ${shown}`);
  if (measured) results[s][c].push(o);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median of the numbers; undefined when nothing was measured; 'timeout' when a run timed out or failed. */
function summary(os: readonly Outcome[]): number | 'timeout' | 'error' | undefined {
  if (os.length === 0) return undefined;
  if (os.includes('error')) return 'error';
  if (os.includes('timeout')) return 'timeout';
  return median(os as number[]);
}

// ---------------------------------------------------------------- engines

const engines = new Map<string, Docker>();
function engine(h: LabHost): Docker {
  let d = engines.get(h.socket);
  if (!d) {
    // Generous: 60 parallel creates on a loaded engine take a while; a timeout here aborts the socket.
    d = new Docker({ socketPath: h.socket, timeout: TIMEOUT_MS });
    engines.set(h.socket, d);
  }
  return d;
}

/** Running containers carrying every label filter, per host; a host whose engine is down counts 0. */
async function runningPerHost(lab: Lab, labels: readonly string[], hosts: readonly string[] = HOSTS): Promise<Record<string, number>> {
  const counts = await Promise.all(
    hosts.map(async (id) => {
      try {
        const list = await engine(lab.host(id)).listContainers({ filters: JSON.stringify({ label: labels, status: ['running'] }) });
        return list.length;
      } catch {
        return 0;
      }
    }),
  );
  return Object.fromEntries(hosts.map((h, i) => [h, counts[i]!]));
}
const total = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);

/** Polls every 100 ms until `n` matching containers run on `hosts`; ms since t0, or 'timeout'. */
async function untilRunning(lab: Lab, labels: readonly string[], n: number, t0: number, hosts: readonly string[] = HOSTS): Promise<Outcome> {
  for (;;) {
    const c = await runningPerHost(lab, labels, hosts);
    if (total(c) >= n) return Date.now() - t0;
    if (Date.now() - t0 > TIMEOUT_MS) {
      log(`timeout: ${total(c)}/${n} running (${JSON.stringify(c)})`);
      return 'timeout';
    }
    await sleep(100);
  }
}

/** Waits (bounded) until no container with these labels runs anywhere in the lab. */
async function untilNoneRunning(lab: Lab, labels: readonly string[], what: string, hosts: readonly string[] = HOSTS): Promise<void> {
  await eventually(async () => total(await runningPerHost(lab, labels, hosts)) === 0 || undefined, { timeoutMs: TIMEOUT_MS, intervalMs: 250, what });
}

/** A JSON request to an engine's API over its socket, bounded. */
function engineApi<T>(socketPath: string, method: 'GET' | 'POST', urlPath: string, body?: unknown, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      { socketPath, method, path: urlPath, timeout: timeoutMs, headers: data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`${method} ${urlPath}: HTTP ${String(res.statusCode)} ${text.trim()}`));
          else resolve((text === '' ? null : JSON.parse(text)) as T);
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * Starts a probe every 100 ms (rotating over `probes`, each bounded on its own) until one succeeds:
 * ms from t0 to the first success, or 'timeout'. Overlapping probes keep a hung request (sent to
 * the dead leader) from hiding a leader that is already there.
 */
async function untilWriteAccepted(probes: ReadonlyArray<() => Promise<unknown>>, t0: number): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let done = false;
    let i = 0;
    const timer = setInterval(() => {
      if (done) return;
      if (Date.now() - t0 > TIMEOUT_MS) {
        done = true;
        clearInterval(timer);
        resolve('timeout');
        return;
      }
      const probe = probes[i++ % probes.length]!;
      probe().then(
        () => {
          if (done) return;
          done = true;
          clearInterval(timer);
          resolve(Date.now() - t0);
        },
        () => undefined,
      );
    }, 100);
  });
}

// ---------------------------------------------------------------- the floor

let floorSeq = 0;
/**
 * Creates and starts `perHost` containers on every host of the lab, all hosts at once; per host
 * either all calls at once (`limit` 0) or `limit` at a time (the tsswarm agent runs 8 at a time).
 */
async function floorStart(lab: Lab, perHost: number, run: string, limit: number): Promise<void> {
  await Promise.all(
    HOSTS.map(async (id) => {
      const d = engine(lab.host(id));
      const one = async (): Promise<void> => {
        const c = await d.createContainer({
          name: `floor.${run}.${++floorSeq}`,
          Image: IMAGE,
          Cmd: ['sleep', '3600'],
          Labels: { [FLOOR_LABEL]: run },
          HostConfig: { Init: true, NetworkMode: 'bridge', RestartPolicy: { Name: 'no' } },
          StopTimeout: 10,
        });
        await c.start();
      };
      let left = perHost;
      const worker = async (): Promise<void> => {
        while (left > 0) {
          left--;
          await one();
        }
      };
      await Promise.all(Array.from({ length: limit > 0 ? Math.min(limit, perHost) : perHost }, worker));
    }),
  );
}

async function floorRemove(lab: Lab): Promise<void> {
  await Promise.all(
    HOSTS.map(async (id) => {
      const d = engine(lab.host(id));
      const list = await d.listContainers({ all: true, filters: JSON.stringify({ label: [FLOOR_LABEL] }) });
      await Promise.all(list.map((c) => d.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    }),
  );
}

/** Floor variants: every call at once, and 8 at a time per host like the tsswarm agent. */
const FLOOR_LIMITS = [0, 8] as const;
const floorRaw: Record<string, { converge: Outcome[]; scale: Outcome[] }> = {};

async function floorRun(lab: Lab, run: string, measured: boolean): Promise<void> {
  const best: Partial<Record<'converge' | 'scale', Outcome>> = {};
  for (const limit of FLOOR_LIMITS) {
    const tag = `${run}l${limit}`;
    const labels = [`${FLOOR_LABEL}=${tag}`];
    const key = limit === 0 ? 'all at once' : `${limit} at a time per host`;
    const raw = (floorRaw[key] ??= { converge: [], scale: [] });
    const keep = (s: 'converge' | 'scale', o: Outcome): void => {
      log(`${measured ? '' : '(warm-up) '}floor (${key}) ${s}: ${typeof o === 'number' ? `${(o / 1000).toFixed(2)} s` : o}`);
      if (measured) raw[s].push(o);
      const b = best[s];
      if (b === undefined || (typeof o === 'number' && (typeof b !== 'number' || o < b))) best[s] = o;
    };
    let t0 = Date.now();
    await floorStart(lab, REPLICAS / HOSTS.length, tag, limit);
    keep('converge', await untilRunning(lab, labels, REPLICAS, t0));
    t0 = Date.now();
    await floorStart(lab, (SCALED - REPLICAS) / HOSTS.length, tag, limit);
    keep('scale', await untilRunning(lab, labels, SCALED, t0));
    await floorRemove(lab);
    await untilNoneRunning(lab, [FLOOR_LABEL], 'floor containers removed');
  }
  // The floor of a run is its faster variant: the best direct API calls did.
  record('converge', 'floor', best.converge!, measured);
  record('scale', 'floor', best.scale!, measured);
}

// ---------------------------------------------------------------- tsswarm (lab A)

interface Cluster {
  /** Host id of the current leader. */
  leader(): Promise<string>;
  /** Runs the orchestrator's CLI for a service command; throws on failure. */
  cli(via: string, args: readonly string[]): Promise<void>;
  taskLabels(service: string): string[];
  createArgs(service: string): string[];
  scaleArgs(service: string, n: number): string[];
  rmArgs(service: string): string[];
  /** Kills the host as the recovery scenario does. */
  killNode(h: string): Promise<void>;
  /** Kills the leader as the failover scenario does. */
  killLeader(h: string): Promise<void>;
  /** Whether `via` sees host `h`'s node as down. */
  isDown(h: string, via: string): Promise<boolean>;
  /** One write probe through a survivor (bounded). */
  writeProbe(via: string, n: number): () => Promise<unknown>;
  /** Brings a killed host back and waits until the cluster has three ready managers again. */
  restore(h: string): Promise<void>;
}

class TsswarmCluster implements Cluster {
  readonly ids: Record<string, string> = {};
  constructor(
    readonly lab: Lab,
    readonly sw: SwarmNodes,
  ) {}

  async form(): Promise<void> {
    const { lab, sw } = this;
    await Promise.all(HOSTS.map((h) => sw.start(h)));
    await sw.ok('h1', ['init', '--advertise-addr', lab.host('h1').ip, '--listen-addr', sw.addr('h1')]);
    const token = (await sw.ok('h1', ['join-token', 'manager', '-q'])).trim();
    this.ids.h1 = (await sw.info('h1')).nodeId!;
    for (const h of ['h2', 'h3']) {
      await sw.ok(h, ['join', '--token', token, '--advertise-addr', lab.host(h).ip, '--listen-addr', sw.addr(h), sw.addr('h1')]);
      this.ids[h] = (await sw.info(h)).nodeId!;
    }
    await this.healthy('h1');
  }

  hostOf(nodeId: string): string {
    const h = Object.keys(this.ids).find((k) => this.ids[k] === nodeId);
    if (!h) throw new Error(`tsswarm: no host for node ${nodeId}`);
    return h;
  }

  /** Three ready nodes, three managers, one leader, as seen from `via`. */
  async healthy(via: string): Promise<void> {
    await eventually(
      async () => {
        const ns = (await this.sw.local<{ nodes: { status: string; managerStatus: string | null }[] }>(via, '/v1/nodes')).nodes;
        const ok = ns.length === 3 && ns.every((n) => n.status === 'ready' && (n.managerStatus === 'leader' || n.managerStatus === 'reachable'));
        return ok && ns.filter((n) => n.managerStatus === 'leader').length === 1 ? true : undefined;
      },
      { timeoutMs: TIMEOUT_MS, intervalMs: 200, what: 'tsswarm: three ready managers' },
    );
  }

  async leader(): Promise<string> {
    for (const h of HOSTS) {
      const l = await this.sw.info(h).then((i) => i.leader, () => undefined);
      if (l) return this.hostOf(l);
    }
    throw new Error('tsswarm: no leader known');
  }

  async cli(via: string, args: readonly string[]): Promise<void> {
    const r = await this.sw.cli(via, args, TIMEOUT_MS);
    if (r.code !== 0) throw new Error(`tsswarm ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  }

  taskLabels(service: string): string[] {
    return [TS_TASK, `${TS_SERVICE}=${service}`];
  }
  createArgs(service: string): string[] {
    return ['service', 'create', '--detach', '--name', service, '--replicas', String(REPLICAS), '--init', IMAGE, 'sleep', '3600'];
  }
  scaleArgs(service: string, n: number): string[] {
    return ['service', 'scale', '--detach', `${service}=${n}`];
  }
  rmArgs(service: string): string[] {
    return ['service', 'rm', service];
  }

  async killNode(h: string): Promise<void> {
    await Promise.all([this.sw.kill(h, 'SIGKILL'), this.lab.killDockerd(h, 'SIGKILL')]);
  }
  async killLeader(h: string): Promise<void> {
    await this.sw.kill(h, 'SIGKILL');
  }

  async isDown(h: string, via: string): Promise<boolean> {
    const ns = (await this.sw.local<{ nodes: { id: string; status: string }[] }>(via, '/v1/nodes', { timeoutMs: 2000 })).nodes;
    return ns.some((n) => n.id === this.ids[h] && n.status === 'down');
  }

  writeProbe(via: string, n: number): () => Promise<unknown> {
    return () => this.sw.local(via, `/v1/nodes/${this.ids[via]!}/update`, { body: { labelAdd: { bench: String(n) } }, timeoutMs: 3000 });
  }

  async restore(h: string): Promise<void> {
    if (this.lab.dockerdPid(h) === undefined) await this.lab.startDockerd(h);
    await this.sw.start(h);
    await this.healthy(HOSTS.find((x) => x !== h)!);
  }
}

// ---------------------------------------------------------------- Docker Swarm (lab B)

interface SwarmNode {
  ID: string;
  Description: { Hostname: string };
  Status: { State: string };
  ManagerStatus?: { Leader?: boolean; Reachability: string };
}

class DockerSwarmCluster implements Cluster {
  constructor(readonly lab: Lab) {}

  async form(): Promise<void> {
    const { lab } = this;
    const h1 = lab.host('h1');
    await lab.docker(h1, ['swarm', 'init', '--advertise-addr', h1.ip, ...(HEARTBEAT_MS > 0 ? ['--dispatcher-heartbeat', `${HEARTBEAT_MS}ms`] : [])]);
    const token = (await lab.docker(h1, ['swarm', 'join-token', 'manager', '-q'])).stdout.trim();
    for (const h of ['h2', 'h3']) await lab.docker(h, ['swarm', 'join', '--token', token, '--advertise-addr', lab.host(h).ip, `${h1.ip}:2377`], { timeoutMs: 120_000 });
    await this.healthy('h1');
  }

  nodes(via: string): Promise<SwarmNode[]> {
    return engineApi<SwarmNode[]>(this.lab.host(via).socket, 'GET', '/nodes');
  }

  async healthy(via: string): Promise<void> {
    await eventually(
      async () => {
        const ns = await this.nodes(via);
        const ok = ns.length === 3 && ns.every((n) => n.Status.State === 'ready' && n.ManagerStatus?.Reachability === 'reachable');
        return ok && ns.filter((n) => n.ManagerStatus?.Leader === true).length === 1 ? true : undefined;
      },
      { timeoutMs: TIMEOUT_MS, intervalMs: 200, what: 'Docker Swarm: three ready, reachable managers' },
    );
  }

  async leader(): Promise<string> {
    for (const h of HOSTS) {
      const ns = await this.nodes(h).catch(() => undefined);
      const l = ns?.find((n) => n.ManagerStatus?.Leader === true);
      if (l) return l.Description.Hostname;
    }
    throw new Error('Docker Swarm: no leader known');
  }

  async cli(via: string, args: readonly string[]): Promise<void> {
    await this.lab.docker(via, args, { timeoutMs: TIMEOUT_MS });
  }

  taskLabels(service: string): string[] {
    return [SW_TASK, `${SW_SERVICE}=${service}`];
  }
  createArgs(service: string): string[] {
    // No registry here: --no-resolve-image keeps the CLI from asking one for the digest.
    return ['service', 'create', '--detach', '--no-resolve-image', '--name', service, '--replicas', String(REPLICAS), '--init', IMAGE, 'sleep', '3600'];
  }
  scaleArgs(service: string, n: number): string[] {
    return ['service', 'scale', '--detach', `${service}=${n}`];
  }
  rmArgs(service: string): string[] {
    return ['service', 'rm', service];
  }

  async killNode(h: string): Promise<void> {
    await this.lab.killDockerd(h, 'SIGKILL');
  }
  async killLeader(h: string): Promise<void> {
    await this.lab.killDockerd(h, 'SIGKILL');
  }

  async isDown(h: string, via: string): Promise<boolean> {
    const ns = await engineApi<SwarmNode[]>(this.lab.host(via).socket, 'GET', '/nodes', undefined, 2000);
    return ns.some((n) => n.Description.Hostname === h && n.Status.State === 'down');
  }

  writeProbe(via: string, n: number): () => Promise<unknown> {
    const host = this.lab.host(via).socket;
    return async () => {
      const info = await engineApi<{ Swarm: { NodeID: string } }>(host, 'GET', '/info');
      const id = info.Swarm.NodeID;
      const node = await engineApi<{ Version: { Index: number }; Spec: { Labels?: Record<string, string> } & Record<string, unknown> }>(host, 'GET', `/nodes/${id}`);
      await engineApi(host, 'POST', `/nodes/${id}/update?version=${node.Version.Index}`, { ...node.Spec, Labels: { ...node.Spec.Labels, bench: String(n) } });
    };
  }

  async restore(h: string): Promise<void> {
    if (this.lab.dockerdPid(h) === undefined) await this.lab.startDockerd(h);
    await this.healthy(HOSTS.find((x) => x !== h)!);
  }
}

// ---------------------------------------------------------------- one run of every scenario

async function orchestratorRun(col: 'tsswarm' | 'swarm', c: Cluster, lab: Lab, run: number, measured: boolean, faults: boolean): Promise<void> {
  const service = `web${run}`;
  const labels = c.taskLabels(service);
  let via = await c.leader();

  // (a) converge
  let t0 = Date.now();
  try {
    await c.cli(via, c.createArgs(service));
    record('converge', col, await untilRunning(lab, labels, REPLICAS, t0), measured);
  } catch (e) {
    log(`${col} converge: ${(e as Error).message}`);
    record('converge', col, 'error', measured);
  }
  log(`${col} converge spread ${JSON.stringify(await runningPerHost(lab, labels))}`);

  // (b) scale
  t0 = Date.now();
  try {
    await c.cli(via, c.scaleArgs(service, SCALED));
    record('scale', col, await untilRunning(lab, labels, SCALED, t0), measured);
  } catch (e) {
    log(`${col} scale: ${(e as Error).message}`);
    record('scale', col, 'error', measured);
  }
  log(`${col} scale spread ${JSON.stringify(await runningPerHost(lab, labels))}`);

  if (faults) {
    // Back to 30 (untimed), then (c) recovery after losing a non-leader node.
    await c.cli(via, c.scaleArgs(service, REPLICAS));
    await eventually(async () => total(await runningPerHost(lab, labels)) === REPLICAS || undefined, { timeoutMs: TIMEOUT_MS, intervalMs: 250, what: `${col}: back to ${REPLICAS}` });
    const before = await runningPerHost(lab, labels);
    const leader = await c.leader();
    const victim = [...HOSTS].reverse().find((h) => h !== leader)!;
    const survivors = HOSTS.filter((h) => h !== victim);
    log(`${col} recovery: killing ${victim} (leader ${leader}); spread before ${JSON.stringify(before)}`);
    t0 = Date.now();
    await c.killNode(victim);
    // Beside the figure: when a survivor first reports the victim down (detection vs re-placement).
    let downMs: number | undefined;
    let watching = true;
    const watcher = (async () => {
      while (watching && downMs === undefined) {
        if (await c.isDown(victim, survivors[0]!).catch(() => false)) downMs = Date.now() - t0;
        else await sleep(100);
      }
    })();
    const rec = await untilRunning(lab, labels, REPLICAS, t0, survivors);
    watching = false;
    await watcher;
    record('recovery', col, rec, measured);
    log(`${col} recovery: ${victim} reported down after ${downMs === undefined ? '?' : `${(downMs / 1000).toFixed(2)} s`}`);
    if (measured && downMs !== undefined) detection[col].push(downMs);
    log(`${col} recovery spread ${JSON.stringify(await runningPerHost(lab, labels, survivors))}`);
    await c.restore(victim);
    await untilNoneRunning(lab, labels, `${col}: ${victim} dropped its stale tasks`, [victim]);

    // (d) leader failover.
    const old = await c.leader();
    const others = HOSTS.filter((h) => h !== old);
    log(`${col} failover: killing leader ${old}`);
    t0 = Date.now();
    await c.killLeader(old);
    record('failover', col, await untilWriteAccepted(others.map((h) => c.writeProbe(h, run)), t0), measured);
    const now = await c.leader().catch(() => '?');
    log(`${col} failover: new leader ${now}`);
    await c.restore(old);
    via = await c.leader();
  }

  await c.cli(via, c.rmArgs(service));
  await untilNoneRunning(lab, labels, `${col}: ${service} removed`);
}

// ---------------------------------------------------------------- main

function fmt(o: number | 'timeout' | 'error' | undefined): string {
  if (o === undefined) return '-';
  if (typeof o !== 'number') return o === 'timeout' ? `TIMEOUT (>${TIMEOUT_MS / 1000} s)` : 'ERROR';
  return `${(o / 1000).toFixed(2)} s`;
}
function ratio(a: number | 'timeout' | 'error' | undefined, b: number | 'timeout' | 'error' | undefined): string {
  return typeof a === 'number' && typeof b === 'number' ? `${(a / b).toFixed(2)}x` : '-';
}

const secs = (o: Outcome): string => (typeof o === 'number' ? (o / 1000).toFixed(2) : o);

function printTable(): void {
  const targets: Record<Scenario, string> = {
    converge: '<= 1.15x floor',
    scale: '<= 1.15x floor',
    recovery: '<= 0.5x Swarm',
    failover: '<= 2 s',
  };
  const labelsOf: Record<Scenario, string> = {
    converge: `converge ${REPLICAS} replicas`,
    scale: `scale ${REPLICAS} -> ${SCALED}`,
    recovery: 'recovery, node lost',
    failover: 'leader failover',
  };
  const rows = [['scenario', 'tsswarm', 'Docker Swarm', 'floor', 'tsswarm/floor', 'tsswarm/Swarm', 'target']];
  for (const s of SCENARIOS) {
    const t = summary(results[s].tsswarm);
    const w = summary(results[s].swarm);
    const f = summary(results[s].floor);
    rows.push([labelsOf[s], fmt(t), fmt(w), fmt(f), ratio(t, f), ratio(t, w), targets[s]]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => `| ${r.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(rows[0]!));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const r of rows.slice(1)) console.log(line(r));
  console.log('');
  console.log('per run (s):');
  for (const s of SCENARIOS)
    for (const c of ['tsswarm', 'swarm', 'floor'] as const)
      if (results[s][c].length) console.log(`  ${s.padEnd(9)} ${c.padEnd(8)} ${results[s][c].map(secs).join('  ')}`);
  for (const c of ['tsswarm', 'swarm'] as const)
    if (detection[c].length) console.log(`  recovery  ${c.padEnd(8)} node reported down after: ${detection[c].map(secs).join('  ')} (median ${secs(median(detection[c]))})`);
  for (const [key, raw] of Object.entries(floorRaw))
    for (const s of ['converge', 'scale'] as const) if (raw[s].length) console.log(`  ${s.padEnd(9)} floor, ${key}: ${raw[s].map(secs).join('  ')}`);
}

// eslint-disable-next-line complexity -- 35: the benchmark script, phase after phase
async function main(): Promise<number> {
  if (REPLICAS % 3 !== 0 || SCALED % 3 !== 0 || SCALED < REPLICAS) throw new Error('--replicas and --scale must be multiples of 3, scale >= replicas');
  const started = new Date();
  const docker = engineApi<{ Version: string }>('/var/run/docker.sock', 'GET', '/version').then((v) => v.Version, () => '?');
  console.log(`swarm benchmark ${started.toISOString()}: ${RUNS} measured run(s) after ${WARMUP} warm-up run(s); ${REPLICAS} -> ${SCALED} replicas; timeout ${TIMEOUT_MS / 1000} s;` +
    ` heartbeat ${HEARTBEAT_MS > 0 ? `${HEARTBEAT_MS} ms (both)` : 'defaults (tsswarm 2 s, Swarm 5 s)'}; engine ${await docker}; load average ${loadavg()}`);

  let labA: Lab | undefined;
  let labB: Lab | undefined;
  let sw: SwarmNodes | undefined;
  const cleanup = async (): Promise<void> => {
    log('teardown');
    await sw?.stopAll().catch(() => undefined);
    await Promise.all([labA?.teardown() ?? teardownLab(CFG_A), labB?.teardown() ?? teardownLab(CFG_B)].map((p) => p.catch((e: unknown) => log(`teardown: ${(e as Error).message}`))));
    for (const cfg of [CFG_A, CFG_B]) {
      const r = await residueOf(cfg);
      const left = Object.entries(r).filter(([, v]) => (v as unknown[]).length > 0);
      if (left.length) log(`RESIDUE of lab ${cfg.name}: ${JSON.stringify(Object.fromEntries(left))}`);
    }
  };
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: tearing down`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // Leftovers of a run that was killed.
    await teardownLab(CFG_A);
    await teardownLab(CFG_B);
    let t = Date.now();
    labA = await Lab.up({ ...CFG_A, hosts: 3 });
    labB = await Lab.up({ ...CFG_B, hosts: 3 });
    log(`labs up (${Date.now() - t} ms)`);
    t = Date.now();
    sw = new SwarmNodes(labA, HEARTBEAT_MS > 0 ? { heartbeatMs: HEARTBEAT_MS } : { env: { TSSWARM_HEARTBEAT_MS: '' } });
    const ts = new TsswarmCluster(labA, sw);
    const ds = new DockerSwarmCluster(labB);
    if (ONLY !== 'swarm' && ONLY !== 'floor') {
      await ts.form();
      log(`tsswarm: 3 managers (${Date.now() - t} ms)`);
    }
    t = Date.now();
    if (ONLY !== 'tsswarm' && ONLY !== 'floor') {
      try {
        await ds.form();
        log(`Docker Swarm: 3 managers (${Date.now() - t} ms)`);
      } catch (e) {
        notes.push(`Docker Swarm could not be formed: ${(e as Error).message}`);
        log(notes.at(-1)!);
      }
    }
    const swarmOk = notes.length === 0;

    for (let i = 0; i < WARMUP + RUNS; i++) {
      const measured = i >= WARMUP;
      log(`run ${i + 1}/${WARMUP + RUNS}${measured ? '' : ' (warm-up)'}; load average ${loadavg()}`);
      // Warm-up runs skip the faults: they only warm the engines and the page cache.
      const faults = measured && FAULTS;
      if (!ONLY || ONLY === 'floor') {
        try {
          await floorRun(labA, `r${i}`, measured);
        } catch (e) {
          log(`floor: ${(e as Error).message}`);
          for (const s of ['converge', 'scale'] as const) if (results[s].floor.length < i + 1 - WARMUP) record(s, 'floor', 'error', measured);
          await floorRemove(labA).catch(() => undefined);
        }
      }
      // Alternate who goes first, so a drift in the machine's load does not favour one side.
      const order = i % 2 === 0 ? (['tsswarm', 'swarm'] as const) : (['swarm', 'tsswarm'] as const);
      for (const who of order) {
        if (who === 'tsswarm' && (!ONLY || ONLY === 'tsswarm')) await orchestratorRun('tsswarm', ts, labA, i, measured, faults);
        if (who === 'swarm' && (!ONLY || ONLY === 'swarm') && swarmOk) await orchestratorRun('swarm', ds, labB, i, measured, faults);
      }
    }
    console.log('');
    console.log(`finished ${new Date().toISOString()} (${((Date.now() - started.getTime()) / 60000).toFixed(1)} min); load average ${loadavg()}`);
    printTable();
    for (const n of notes) console.log(`note: ${n}`);
    return 0;
  } catch (e) {
    log(`FAILED: ${(e as Error).stack ?? String(e)}`);
    if (sw) for (const h of HOSTS) log(`--- tsswarm ${h} log ---\n${sw.logTail(h, 15)}`);
    if (Object.values(results).some((r) => r.tsswarm.length + r.swarm.length + r.floor.length > 0)) printTable();
    return 1;
  } finally {
    if (!interrupted) await cleanup();
  }
}

// The lab's spawned processes are unref'd (they must not keep a test runner alive): waiting for one
// to exit would otherwise leave Node with an empty event loop and an unsettled top-level await.
const keepAlive = setInterval(() => undefined, 1 << 30);
process.exitCode = await main();
clearInterval(keepAlive);
