/**
 * East-west networking benchmark (see specs/benchmarks.md): tsswarm vs Docker Swarm vs the
 * underlay, in one invocation on the same machine. Two labs of three hosts each
 * (test/lab/harness.ts):
 *   lab A (`tsna`, 10.199.10.0/24): a tsswarm daemon per host (h1 manager, h2 and h3 workers);
 *   lab B (`tsnb`, 10.199.11.0/24): plain dockerd per host in swarm mode (h1 manager, h2 and h3
 *     workers; the harness starts every lab dockerd with DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1).
 * Scenarios:
 *   overlay   iperf3 from a task on h1 to a task on h2 by task IP, on one overlay network: ours
 *             (Docker bridge network per host + our VXLAN device) and Docker Swarm's own overlay
 *             (`docker network create -d overlay`); the underlay (h1 -> h2 host addresses, each
 *             lab) is the floor. Debian's iperf3 runs from the machine inside each task's netns
 *             (`nsenter --net=/proc/PID/ns/net iperf3 ...`), `-t SECONDS -J`, figure = the
 *             client's end.sum_received.bits_per_second.
 *   vip       the same client to the server service's VIP (nftables DNAT in the client's netns).
 *             Docker Swarm's VIP needs IPVS, which this kernel lacks: n/a.
 *   mesh      HTTP through the ingress mesh: `wrk` (Debian's) from a client outside the cluster (a
 *             namespace wired to h3 by a veth) to h3:8080 (h3 has no task; the one task is on h2), vs
 *             direct to the task's address from h3's own netns (the same overlay hop, no mesh),
 *             alternating, requests/s and p99. Docker Swarm's mesh on lab B, as it behaves here.
 *   program   VIP programming latency: a global client service (a task on every node) and a
 *             backend service on the overlay, scaled up by one and down by one, alternating. Up:
 *             from the new task becoming `running` in the store (the daemon socket's
 *             /v1/services/backend/tasks polled every POLL ms; a backend joins only once running)
 *             to the VIP chain of every node's client netns holding exactly the store's backend
 *             set (`nft -j list table ip tsswarm-lb` polled every POLL ms per node, in parallel).
 *             Down: from the API acknowledging the scale (the socket call returned; the task
 *             leaves the backends as soon as it is asked to stop) to the same. Docker Swarm: n/a.
 *
 * Run through test/bench/net.bench.mjs (`npm run bench:net [-- --runs N ...]`), which bundles
 * this file with esbuild. Not part of the test suite. Needs root (the lab) and iperf3 (apt).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import { Lab, eventually, residueOf, run, teardownLab, type LabConfig, type LabHost } from '../lab/harness.js';
import { SwarmNodes } from '../lab/swarm-nodes.js';
import { readNftLb } from '../../src/net/lb/nft-inspect.js';
import type { TaskView } from '../../src/swarm/api/views.js';
import type { ServiceSpec } from '../../src/swarm/store/index.js';

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

const RUNS = flag('runs', 5);
const SECONDS = flag('seconds', 5);
const CHANGES = flag('changes', 20);
const POLL_MS = flag('poll-ms', 10);
const TIMEOUT_MS = flag('timeout', 60) * 1000;
const ONLY = strFlag('only'); // tsswarm | swarm (development)
/** Diagnostic: log every command lab A's daemons run (see traceShims); adds a few ms per command. */
const TRACE = process.argv.includes('--trace');
const BASE = 3; // backend replicas between changes (up: BASE + 1)

const IMAGE = 'tscompose-test/busybox:latest';
const HOSTS = ['h1', 'h2', 'h3'] as const;
const CFG_A: LabConfig = { name: 'tsna', net: 10 };
const CFG_B: LabConfig = { name: 'tsnb', net: 11 };
const TS_SERVICE = 'com.tsswarm.service.name';
const TS_TASK = 'com.tsswarm.task.id';
const SW_SERVICE = 'com.docker.swarm.service.name';
const NET = 'benchnet';
/**
 * A second overlay with the MTU Docker Swarm's overlay has here (1500 - 50). tsswarm derives its
 * default from the underlay MTU, which in the lab it reads from the machine's sysfs (see
 * specs/benchmarks.md, bench:net), so its default network can differ: both are measured.
 */
const NET_MTU = 'benchmtu';
const SWARM_MTU = 1450;
const IPERF_PORT = 5201;
/** Every task only sleeps: iperf3 runs from the machine inside its netns. */
const SLEEPER = ['--init', IMAGE, 'sleep', '3600'];

const log = (s: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const now = (): number => performance.now();

// ---------------------------------------------------------------- results

type Outcome = number | 'error';
const PATHS = ['underlayA', 'underlayB', 'tsDirect', 'tsVip', 'tsMtu', 'swDirect'] as const;
type PathKey = (typeof PATHS)[number];
const PATH_LABEL: Record<PathKey, string> = {
  underlayA: 'underlay, lab A (h1 -> h2 host addresses)',
  underlayB: 'underlay, lab B',
  tsDirect: 'tsswarm overlay, task IP',
  tsVip: 'tsswarm overlay, VIP',
  tsMtu: `tsswarm overlay (-o mtu=${SWARM_MTU}), task IP`,
  swDirect: 'Docker Swarm overlay, task IP',
};
/** bits per second per run. */
const tput: Record<PathKey, Outcome[]> = { underlayA: [], underlayB: [], tsDirect: [], tsVip: [], tsMtu: [], swDirect: [] };
/** The client's eth0 MTU per path (the overlay MTU the engine gave the task). */
const mtus: Partial<Record<PathKey, number>> = {};

interface Change {
  kind: 'up' | 'down';
  /** ms from the start point (up: running in the store; down: API ack) to rules on every node; 'timeout' when not seen. */
  latency: number | 'timeout';
  /** Per node, same origin. */
  perNode: Record<string, number | 'timeout'>;
  /** Up: ack -> running in the store (the container start); down: ack -> the task asked to stop in the store. */
  storeMs: number;
  /** The scale call's round trip (request sent -> acknowledged). */
  ackMs: number;
  /** The origin as epoch ms (to line up with --trace logs). */
  originEpoch: number;
}
const changes: Change[] = [];
const notes: string[] = [];
const pollStats: { store: number[]; nft: number[] } = { store: [], nft: [] };

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
/** Nearest-rank percentile: of 20 samples, p99 is the largest. */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}

// ---------------------------------------------------------------- engines, containers, iperf3

const engines = new Map<string, Docker>();
function engine(h: LabHost): Docker {
  let d = engines.get(h.socket);
  if (!d) {
    d = new Docker({ socketPath: h.socket, timeout: 30_000 });
    engines.set(h.socket, d);
  }
  return d;
}

interface TaskContainer {
  id: string;
  pid: number;
  /** First address on any network (every task here joins one overlay). */
  ip: string;
  netns: string;
}

/** eth0's MTU inside a netns (iproute2: /sys would show the machine's namespace, not this one). */
async function mtuOf(netns: string): Promise<number> {
  const r = await run('nsenter', [`--net=${netns}`, 'ip', '-j', 'link', 'show', 'dev', 'eth0']);
  return (JSON.parse(r.stdout) as Array<{ mtu: number }>)[0]!.mtu;
}

/** A task's address on its overlay: not the one on the node's egress network (tsswarm's `tss-egress`). */
function overlayAddress(networks: Record<string, { IPAddress: string }>): string | undefined {
  return Object.entries(networks)
    .filter(([name]) => name !== 'tss-egress')
    .map(([, n]) => n.IPAddress)
    .find((a) => a !== '');
}

/** The running container of a service on a host (the first one). */
async function containerOf(lab: Lab, host: string, label: string, service: string): Promise<TaskContainer> {
  const d = engine(lab.host(host));
  const list = await d.listContainers({ filters: JSON.stringify({ label: [`${label}=${service}`], status: ['running'] }) });
  const c = list[0];
  if (!c) throw new Error(`no running ${service} container on ${host}`);
  const info = await d.getContainer(c.Id).inspect();
  const ip = overlayAddress(info.NetworkSettings.Networks);
  if (!ip || !info.State.Pid) throw new Error(`${service} on ${host}: no pid or address yet`);
  return { id: c.Id, pid: info.State.Pid, ip, netns: `/proc/${info.State.Pid}/ns/net` };
}

async function waitContainer(lab: Lab, host: string, label: string, service: string): Promise<TaskContainer> {
  return eventually(() => containerOf(lab, host, label, service).catch(() => undefined), { timeoutMs: TIMEOUT_MS, intervalMs: 200, what: `${service} running on ${host} (${lab.name})` });
}

/**
 * Waits until a 1 s iperf3 test from `clientNs` to `addr` succeeds (the overlay's fdb and
 * neighbours may take an agent pass; there is no ping on this machine). Also an unmeasured warm-up.
 */
async function reachable(serverNs: string, clientNs: string, addr: string, what: string): Promise<void> {
  let last = '';
  await eventually(
    () =>
      iperf(serverNs, clientNs, addr, 1).then(
        () => true,
        (e: unknown) => {
          last = (e as Error).message;
          return undefined;
        },
      ),
    { timeoutMs: 30_000, intervalMs: 200, what: `${what}: ${addr} reachable` },
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; last iperf3 error: ${last}`);
  });
}

/**
 * One iperf3 test: a one-off server (`-s -1`) in `serverNs`, the client in `clientNs` to `addr`
 * for SECONDS; bits per second received (the client's end.sum_received).
 */
async function iperf(serverNs: string, clientNs: string, addr: string, seconds = SECONDS): Promise<number> {
  const srv = spawn('nsenter', [`--net=${serverNs}`, 'iperf3', '-s', '-1', '-p', String(IPERF_PORT)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((r) => srv.once('exit', () => r()));
  let stderr = '';
  srv.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  try {
    await eventually(
      async () => {
        if (srv.exitCode !== null) throw new Error(`iperf3 server exited ${srv.exitCode}: ${stderr.trim()}`);
        const r = await run('nsenter', [`--net=${serverNs}`, 'ss', '-Hltn', `sport = :${IPERF_PORT}`], { check: false });
        return r.stdout.trim() !== '' || undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'iperf3 server listening' },
    );
    const r = await run('nsenter', [`--net=${clientNs}`, 'iperf3', '-c', addr, '-p', String(IPERF_PORT), '-t', String(seconds), '--connect-timeout', '2000', '-J'], { check: false, timeoutMs: (seconds + 30) * 1000 });
    let j: { error?: string; end?: { sum_received?: { bits_per_second?: number } } };
    try {
      j = JSON.parse(r.stdout) as typeof j;
    } catch {
      throw new Error(`iperf3 -c ${addr}: exit ${r.code}, no JSON: ${r.stderr.trim()}`);
    }
    if (j.error) throw new Error(`iperf3 -c ${addr}: ${j.error}`);
    const bps = j.end?.sum_received?.bits_per_second;
    if (typeof bps !== 'number') throw new Error(`iperf3 -c ${addr}: no end.sum_received.bits_per_second`);
    return bps;
  } finally {
    if (srv.exitCode === null) srv.kill('SIGKILL');
    await exited;
  }
}

// ---------------------------------------------------------------- tsswarm (lab A)

class Tsswarm {
  constructor(
    readonly lab: Lab,
    readonly sw: SwarmNodes,
  ) {}

  async ok(args: readonly string[]): Promise<string> {
    const r = await this.sw.cli('h1', args, TIMEOUT_MS);
    if (r.code !== 0) throw new Error(`tsswarm ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  tasks(service: string): Promise<TaskView[]> {
    return this.sw.local<{ tasks: TaskView[] }>('h1', `/v1/services/${service}/tasks`).then((x) => x.tasks);
  }

  async running(service: string, n: number): Promise<TaskView[]> {
    return eventually(
      async () => {
        const t = (await this.tasks(service)).filter((x) => x.state === 'running' && x.desiredState === 'running');
        return t.length === n ? t : undefined;
      },
      { timeoutMs: TIMEOUT_MS, intervalMs: 100, what: `${n} running tasks of ${service}` },
    );
  }

  async vip(service: string): Promise<string> {
    const { service: s } = await this.sw.local<{ service: { endpoint: { virtualIPs: Array<{ addr: string }> } | null } }>('h1', `/v1/services/${service}`);
    const a = s.endpoint?.virtualIPs[0]?.addr;
    if (!a) throw new Error(`${service} has no VIP`);
    return a.split('/')[0]!;
  }

  /** `service scale` as the CLI sends it, over the daemon socket; resolves when the API acknowledged. */
  async scale(service: string, replicas: number): Promise<void> {
    const { service: s } = await this.sw.local<{ service: { id: string; spec: ServiceSpec; meta: { version: number } } }>('h1', `/v1/services/${service}`);
    const spec = structuredClone(s.spec);
    spec.mode = { type: 'replicated', replicas };
    await this.sw.local('h1', `/v1/services/${s.id}/update`, { body: { spec, version: s.meta.version } });
  }
}

interface TsswarmPaths {
  ts: Tsswarm;
  client: TaskContainer;
  server: TaskContainer;
  vip: string;
  /** The same pair on the overlay with Swarm's MTU. */
  clientMtu: TaskContainer;
  serverMtu: TaskContainer;
}

async function tsswarmSetup(lab: Lab, sw: SwarmNodes): Promise<TsswarmPaths> {
  const ts = new Tsswarm(lab, sw);
  await sw.form([...HOSTS]);
  await ts.ok(['network', 'create', '-d', 'overlay', NET]);
  await ts.ok(['network', 'create', '-d', 'overlay', '-o', `mtu=${SWARM_MTU}`, NET_MTU]);
  await eventually(async () => !(await ts.ok(['network', 'ls'])).includes('(allocating)') || undefined, { timeoutMs: TIMEOUT_MS, what: 'tsswarm: networks allocated' });
  const pair = [
    ['iperf-srv', NET, 'h2'],
    ['iperf-cli', NET, 'h1'],
    ['iperf-srvm', NET_MTU, 'h2'],
    ['iperf-clim', NET_MTU, 'h1'],
  ] as const;
  for (const [name, net, host] of pair) await ts.ok(['service', 'create', '-d', '--name', name, '--network', net, '--constraint', `node.hostname==${host}`, ...SLEEPER]);
  for (const [name] of pair) await ts.running(name, 1);
  const server = await waitContainer(lab, 'h2', TS_SERVICE, 'iperf-srv');
  const client = await waitContainer(lab, 'h1', TS_SERVICE, 'iperf-cli');
  const serverMtu = await waitContainer(lab, 'h2', TS_SERVICE, 'iperf-srvm');
  const clientMtu = await waitContainer(lab, 'h1', TS_SERVICE, 'iperf-clim');
  const vip = await ts.vip('iperf-srv');
  await reachable(server.netns, client.netns, server.ip, 'tsswarm task IP');
  await reachable(server.netns, client.netns, vip, 'tsswarm VIP');
  await reachable(serverMtu.netns, clientMtu.netns, serverMtu.ip, `tsswarm task IP (mtu ${SWARM_MTU})`);
  mtus.tsDirect = mtus.tsVip = await mtuOf(client.netns);
  mtus.tsMtu = await mtuOf(clientMtu.netns);
  return { ts, client, server, vip, clientMtu, serverMtu };
}

// ---------------------------------------------------------------- Docker Swarm (lab B)

async function swarmSetup(lab: Lab): Promise<{ client: TaskContainer; server: TaskContainer }> {
  const h1 = lab.host('h1');
  await lab.docker(h1, ['swarm', 'init', '--advertise-addr', h1.ip]);
  const token = (await lab.docker(h1, ['swarm', 'join-token', 'worker', '-q'])).stdout.trim();
  for (const h of ['h2', 'h3']) await lab.docker(h, ['swarm', 'join', '--token', token, '--advertise-addr', lab.host(h).ip, `${h1.ip}:2377`], { timeoutMs: 120_000 });
  await lab.docker(h1, ['network', 'create', '-d', 'overlay', NET]);
  // No registry here: --no-resolve-image keeps the CLI from asking one for the digest.
  const create = (name: string, host: string): Promise<unknown> =>
    lab.docker(h1, ['service', 'create', '--detach', '--no-resolve-image', '--name', name, '--network', NET, '--constraint', `node.hostname==${host}`, ...SLEEPER], { timeoutMs: TIMEOUT_MS });
  await create('iperf-srv', 'h2');
  await create('iperf-cli', 'h1');
  const server = await waitContainer(lab, 'h2', SW_SERVICE, 'iperf-srv');
  const client = await waitContainer(lab, 'h1', SW_SERVICE, 'iperf-cli');
  await reachable(server.netns, client.netns, server.ip, 'Docker Swarm task IP');
  mtus.swDirect = await mtuOf(client.netns);
  return { client, server };
}

// ---------------------------------------------------------------- the ingress mesh

/** busybox httpd serving a small static page; SIGTERM ends it (Docker Swarm's side: it only has to fail). */
const WEB = ['--init', IMAGE, 'sh', '-c', "trap 'exit 0' TERM; mkdir -p /www && hostname > /www/index.html && httpd -f -p 80 -h /www & wait"];
/**
 * tsswarm's side: an HTTP/1.1 server with keep-alive, run from the machine inside the task's netns
 * (as iperf3 is). busybox httpd closes every connection and forks per request: wrk then measures
 * connection churn, and its clients run out of ports within seconds (every path fell from ~4,600
 * to ~400 requests/s in one run), which says nothing about the mesh.
 */
const HTTP_SERVER = `require('node:http').createServer((q, r) => r.end('hello\\n')).listen(80, '0.0.0.0'); setTimeout(() => process.exit(0), 900000);`;
const MESH_PORT = 8080;
const WRK_CONNS = 16;

interface WrkResult {
  rps: number;
  p99ms: number;
}
const mesh: { ts: WrkResult[]; direct: WrkResult[]; swarm: string | undefined } = { ts: [], direct: [], swarm: undefined };

/** `wrk` for SECONDS from `netns` (undefined: the machine's root namespace, outside the cluster). Bounded by -d. */
async function wrk(url: string, netns?: string): Promise<WrkResult> {
  const argv = ['wrk', '-t', '1', '-c', String(WRK_CONNS), '-d', `${SECONDS}s`, '--latency', '--timeout', '2s', url];
  const r = netns === undefined ? await run(argv[0]!, argv.slice(1), { check: false, timeoutMs: (SECONDS + 30) * 1000 }) : await run('nsenter', [`--net=${netns}`, ...argv], { check: false, timeoutMs: (SECONDS + 30) * 1000 });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(r.stdout);
  const errs = /Socket errors: .*|Non-2xx or 3xx responses: \d+/.exec(r.stdout);
  if (!rps || !p99) throw new Error(`wrk ${url}: exit ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 300)}`);
  if (errs) throw new Error(`wrk ${url}: ${errs[0]}`);
  const unit = p99[2] === 'us' ? 1e-3 : p99[2] === 's' ? 1e3 : 1;
  return { rps: Number(rps[1]), p99ms: Number(p99[1]) * unit };
}

/**
 * Requests/s and p99 through the mesh (from outside the cluster, entering h3, which has no task)
 * vs direct to the task's address (from h3's own netns: the same overlay hop, no NAT, no mesh).
 */
async function meshTsswarm(lab: Lab, ts: Tsswarm): Promise<void> {
  await ts.ok(['service', 'create', '-d', '--name', 'mesh-web', '--constraint', 'node.hostname==h2', '-p', `${MESH_PORT}:80`, ...SLEEPER]);
  await ts.running('mesh-web', 1);
  const task = await waitContainer(lab, 'h2', TS_SERVICE, 'mesh-web');
  const server = spawn('nsenter', [`--net=${task.netns}`, process.execPath, '-e', HTTP_SERVER], { stdio: 'ignore' });
  try {
    await meshRuns(lab, task);
  } finally {
    server.kill('SIGKILL');
  }
  await ts.ok(['service', 'rm', 'mesh-web']);
}

/**
 * The client: a namespace of its own, outside the cluster, wired to h3 by a veth pair (as a host
 * on h3's own link). Through the lab bridge instead (the machine's root namespace), the client's
 * hop itself crossed the root namespace's bridge netfilter (br_netfilter is on there), which the
 * direct path never does: that measured the lab, not the mesh (0.89-0.91x).
 */
const CLIENT_NS = 'tsmeshcl';
const CLIENT_NET = { h3: '192.168.77.1', client: '192.168.77.2' };

async function clientNetns(entry: LabHost): Promise<void> {
  await run('ip', ['netns', 'del', CLIENT_NS], { check: false });
  await run('ip', ['netns', 'add', CLIENT_NS]);
  await run('ip', ['link', 'add', 'tsmcl0', 'netns', entry.netnsPath, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', CLIENT_NS]);
  const inH3 = (...a: string[]) => run('nsenter', [`--net=${entry.netnsPath}`, 'ip', ...a]);
  const inCl = (...a: string[]) => run('ip', ['-n', CLIENT_NS, ...a]);
  await inH3('addr', 'add', `${CLIENT_NET.h3}/30`, 'dev', 'tsmcl0');
  await inH3('link', 'set', 'tsmcl0', 'up');
  await inCl('addr', 'add', `${CLIENT_NET.client}/30`, 'dev', 'eth0');
  await inCl('link', 'set', 'eth0', 'up');
  await inCl('link', 'set', 'lo', 'up');
  await inCl('route', 'add', 'default', 'via', CLIENT_NET.h3);
}

async function meshRuns(lab: Lab, task: TaskContainer): Promise<void> {
  const entry = lab.host('h3');
  await clientNetns(entry);
  try {
    const client = `/run/netns/${CLIENT_NS}`;
    const viaMesh = `http://${CLIENT_NET.h3}:${MESH_PORT}/`;
    const direct = `http://${task.ip}/`;
    await eventually(async () => ((await run('nsenter', [`--net=${client}`, 'curl', '-sf', '--max-time', '2', viaMesh], { check: false })).code === 0 ? true : undefined), { timeoutMs: TIMEOUT_MS, intervalMs: 200, what: 'the mesh answering on h3' });
    for (let i = 0; i < RUNS; i++) {
      const order: Array<[WrkResult[], () => Promise<WrkResult>]> = [
        [mesh.ts, () => wrk(viaMesh, client)],
        [mesh.direct, () => wrk(direct, entry.netnsPath)],
      ];
      for (const [out, fn] of i % 2 === 0 ? order : order.reverse()) {
        const x = await fn();
        out.push(x);
        log(`  ${out === mesh.ts ? 'mesh (client -> h3:8080 -> task on h2)' : 'direct (h3 -> task IP)'}: ${x.rps.toFixed(0)} req/s, p99 ${x.p99ms.toFixed(2)} ms`);
      }
    }
  } finally {
    // The veth goes with the namespace.
    await run('ip', ['netns', 'del', CLIENT_NS], { check: false });
  }
}

/** Docker Swarm's mesh on lab B, reported as it behaves here (it needs IPVS). */
async function meshSwarm(lab: Lab): Promise<void> {
  const h1 = lab.host('h1');
  await lab.docker(h1, ['service', 'create', '--detach', '--no-resolve-image', '--name', 'mesh-web', '--constraint', 'node.hostname==h2', '-p', `${MESH_PORT}:80`, ...WEB], { timeoutMs: TIMEOUT_MS });
  await waitContainer(lab, 'h2', SW_SERVICE, 'mesh-web');
  await sleep(3000);
  const r = await run('curl', ['-sS', '--max-time', '3', `http://${lab.host('h3').ip}:${MESH_PORT}/`], { check: false });
  mesh.swarm = r.code === 0 ? 'answered' : `fails: ${r.stderr.trim().split('\n')[0]}`;
  log(`Docker Swarm mesh: ${mesh.swarm}`);
}

// ---------------------------------------------------------------- programming latency

interface Sample<T> {
  /** When the read started and when its answer arrived (performance.now() ms). */
  s: number;
  e: number;
  v: T;
}

/** Runs `read` back to back with `gapMs` between, until `stop.v`; every answer is kept. */
async function poller<T>(stop: { v: boolean }, read: () => Promise<T>, out: Array<Sample<T>>, gapMs: number): Promise<void> {
  while (!stop.v) {
    const s = now();
    const v = await read();
    out.push({ s, e: now(), v });
    await sleep(gapMs);
  }
}

/** Backends as the store sees them: running, still wanted, healthy when checked (the rule of isBackend). */
function backendIds(tasks: readonly TaskView[]): string[] {
  return tasks.filter((t) => t.state === 'running' && t.desiredState === 'running' && (t.health === null || t.health === 'healthy')).map((t) => t.id).sort();
}

async function programmingLatency(lab: Lab, ts: Tsswarm): Promise<Record<string, number>> {
  await ts.ok(['service', 'create', '-d', '--name', 'lbclient', '--mode', 'global', '--network', NET, ...SLEEPER]);
  await ts.ok(['service', 'create', '-d', '--name', 'backend', '--replicas', String(BASE), '--network', NET, ...SLEEPER]);
  await ts.running('lbclient', HOSTS.length);
  await ts.running('backend', BASE);
  const vip = await ts.vip('backend');
  const clients = Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await waitContainer(lab, h, TS_SERVICE, 'lbclient')] as const)));

  // Task id -> address, read from the engines (the API's task view carries no address).
  const addrOf = new Map<string, string>();
  const resolve = async (ids: readonly string[]): Promise<string[]> => {
    if (ids.some((id) => !addrOf.has(id))) {
      for (const h of HOSTS) {
        const list = await engine(lab.host(h)).listContainers({ all: true, filters: JSON.stringify({ label: [`${TS_SERVICE}=backend`] }) });
        for (const c of list) {
          const ip = overlayAddress(c.NetworkSettings?.Networks ?? {});
          const id = c.Labels[TS_TASK];
          if (id && ip) addrOf.set(id, ip);
        }
      }
    }
    const missing = ids.filter((id) => !addrOf.has(id));
    if (missing.length) throw new Error(`no address found for backend task(s) ${missing.join(' ')}`);
    return ids.map((id) => addrOf.get(id)!).sort();
  };

  // The pollers: the store through h1's socket, and every node's client netns.
  const stop = { v: false };
  const store: Array<Sample<TaskView[] | null>> = [];
  const rules: Record<string, Array<Sample<string | null>>> = Object.fromEntries(HOSTS.map((h) => [h, []]));
  const readRules = async (h: string): Promise<string | null> => {
    const snap = await readNftLb(clients[h]!.netns).catch(() => undefined);
    const v = snap?.table.vips.find((x) => x.vip === vip);
    return v ? [...v.backends].sort().join(',') : null;
  };
  const pollers = [
    poller(stop, () => ts.tasks('backend').catch(() => null), store, POLL_MS),
    ...HOSTS.map((h) => poller(stop, () => readRules(h), rules[h]!, POLL_MS)),
  ];
  const latestStore = async (after: number, ok: (ids: string[]) => boolean, what: string): Promise<Sample<string[]>> =>
    eventually(
      () => {
        for (const x of store) if (x.s >= after && x.v && ok(backendIds(x.v))) return { s: x.s, e: x.e, v: backendIds(x.v) };
        return undefined;
      },
      { timeoutMs: TIMEOUT_MS, intervalMs: 5, what },
    );

  try {
    // Until the pollers have a first answer everywhere and the rules match the store.
    const first = await latestStore(0, (ids) => ids.length === BASE, 'first store sample');
    const want0 = (await resolve(first.v)).join(',');
    await eventually(() => HOSTS.every((h) => rules[h]!.at(-1)?.v === want0) || undefined, { timeoutMs: TIMEOUT_MS, intervalMs: 20, what: 'initial rules on every node' });
    log(`program: VIP ${vip}, backends ${want0}; ${CHANGES} changes`);

    for (let i = 0; i < CHANGES; i++) {
      const kind = i % 2 === 0 ? 'up' : 'down';
      const target = kind === 'up' ? BASE + 1 : BASE;
      // A random pause, so the changes do not fall on the same phase of the agents' pass period.
      await sleep(100 + Math.random() * 400);
      const before = backendIds(store.at(-1)?.v ?? []);
      const t0 = now();
      await ts.scale('backend', target);
      const tAck = now();
      let origin: number;
      let storeMs: number;
      let want: string[];
      if (kind === 'up') {
        const x = await latestStore(t0, (ids) => ids.length === target && ids.some((id) => !before.includes(id)), `change ${i + 1}: the new backend running in the store`);
        origin = x.s;
        storeMs = x.s - tAck;
        want = x.v;
      } else {
        const x = await latestStore(t0, (ids) => ids.length === target, `change ${i + 1}: a backend asked to stop in the store`);
        origin = tAck;
        storeMs = x.s - tAck;
        want = x.v;
      }
      const wanted = (await resolve(want)).join(',');
      const perNode: Record<string, number | 'timeout'> = {};
      await Promise.all(
        HOSTS.map(async (h) => {
          const ok = await eventually(() => (rules[h]!.at(-1)?.v === wanted && rules[h]!.at(-1)!.s >= origin) || undefined, { timeoutMs: TIMEOUT_MS, intervalMs: 5, what: `${h}: rules` }).then(
            () => true,
            () => false,
          );
          if (!ok) {
            perNode[h] = 'timeout';
            return;
          }
          // The first answer read after the origin from which on every answer showed the wanted set.
          const xs = rules[h]!.filter((x) => x.s >= origin);
          let k = xs.length - 1;
          while (k > 0 && xs[k - 1]!.v === wanted) k--;
          perNode[h] = xs[k]!.e - origin;
        }),
      );
      const vals = Object.values(perNode);
      const latency = vals.includes('timeout') ? 'timeout' : Math.max(...(vals as number[]));
      changes.push({ kind, latency, perNode, storeMs, ackMs: tAck - t0, originEpoch: performance.timeOrigin + origin });
      const f = (x: number | 'timeout'): string => (typeof x === 'number' ? `${x.toFixed(0)}` : x);
      log(
        `change ${i + 1}/${CHANGES} ${kind}: ${f(latency)} ms to every node (${HOSTS.map((h) => `${h} ${f(perNode[h]!)}`).join(', ')}); ` +
          `ack ${(tAck - t0).toFixed(0)} ms, ${kind === 'up' ? 'running' : 'asked to stop'} in the store ${storeMs.toFixed(0)} ms after the ack`,
      );
      if (kind === 'down') {
        // The stopped task leaves the list once terminal (its stop waits until every node dropped it).
        await eventually(async () => (await ts.tasks('backend')).length === BASE || undefined, { timeoutMs: TIMEOUT_MS, intervalMs: 50, what: `change ${i + 1}: the stopped backend gone` });
      }
    }
  } finally {
    stop.v = true;
    await Promise.all(pollers);
    const gaps = (xs: Array<Sample<unknown>>): number[] => xs.map((x) => x.e - x.s);
    pollStats.store.push(...gaps(store));
    for (const h of HOSTS) pollStats.nft.push(...gaps(rules[h]!));
  }
  return Object.fromEntries(HOSTS.map((h) => [h, clients[h]!.pid]));
}


// ---------------------------------------------------------------- --trace (diagnostic)

const TRACED = ['ip', 'bridge', 'nft', 'nsenter', 'conntrack'] as const;

/**
 * A folder of bash shims put first on the PATH of lab A's daemons: each logs
 * `host start end status argv` (epoch seconds, $EPOCHREALTIME) to `log` and runs the real tool.
 * nsenter's shim hands the original PATH on, so the nft it starts is not logged twice, and passes
 * through the lab's own nsenter (the one that starts the daemon) unlogged.
 */
async function traceShims(): Promise<{ dir: string; log: string; path: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsnet-trace-'));
  const log = path.join(dir, 'commands.log');
  const orig = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin';
  for (const name of TRACED) {
    const real = (await run('sh', ['-c', `command -v ${name}`])).stdout.trim();
    const file = path.join(dir, name);
    // The lab starts each daemon through nsenter too (spawnInHost): that one is passed through.
    const passThrough = name === 'nsenter' ? `case "$1" in --net=/proc/*) ;; *) exec ${real} "$@";; esac\n` : '';
    writeFileSync(
      file,
      `#!/bin/bash\n${passThrough}read -r h < /proc/sys/kernel/hostname\nt0=$EPOCHREALTIME\n${name === 'nsenter' ? `PATH='${orig}' ` : ''}${real} "$@"\nrc=$?\n` +
        `printf '%s %s %s %s %s\\n' "$h" "$t0" "$EPOCHREALTIME" "$rc" "${name} $*" >> ${log}\nexit $rc\n`,
    );
    chmodSync(file, 0o755);
  }
  return { dir, log, path: `${dir}:${orig}` };
}

/** Short names for the commands of an agent pass. */
function shortCmd(argv: string): string {
  if (argv.startsWith('ip -j -d link show')) return 'links';
  if (argv.startsWith('bridge -j fdb show')) return 'fdb?';
  if (argv.startsWith('ip -j neigh show')) return 'neigh?';
  if (argv.startsWith('nft -j list table inet')) return 'fw?';
  if (argv.startsWith('bridge fdb')) return `fdb ${argv.split(' ')[2]}`;
  if (argv.startsWith('ip neigh')) return `neigh ${argv.split(' ')[2]}`;
  const ns = /^nsenter --net=\/proc\/(\d+)\/ns\/net (\S+)/.exec(argv);
  if (ns) return ns[2] === 'nft' ? `nft-sync(${ns[1]})` : `${ns[2]}(${ns[1]})`;
  return argv.slice(0, 30);
}

/**
 * Per change and node: every command the node's daemon ran from 300 ms before the origin to its
 * rules being seen, as `+offset name (duration)` (ms from the origin). Printed with --trace.
 */
function printTrace(logFile: string, clientPids: Record<string, number>): void {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return; // no trace was written (the run ended before any command)
  }
  const lines = text.trim().split('\n').map((l) => {
    const [host, a, b, rc, ...argv] = l.split(' ');
    return { host: host!, start: Number(a) * 1000, end: Number(b) * 1000, rc: Number(rc), argv: argv.join(' ') };
  });
  console.log('');
  console.log(`--trace: commands of each daemon around each change (ms from the origin; client pids ${JSON.stringify(clientPids)}; full log ${logFile}):`);
  // Where a node's time goes: origin -> its pass starts programming (the overlay observation,
  // `ip -j -d link show`, opens NetworkAgent.configure), -> the first VIP table write, -> rules seen.
  const wait: number[] = [];
  const toFirstSync: number[] = [];
  const work: number[] = [];
  const syncs: number[] = [];
  const cts: number[] = [];
  changes.forEach((c, i) => {
    console.log(`  change ${i + 1} ${c.kind}: ${typeof c.latency === 'number' ? c.latency.toFixed(0) : c.latency} ms`);
    for (const h of HOSTS) {
      const done = c.perNode[h];
      const until = c.originEpoch + (typeof done === 'number' ? done : 5000);
      const xs = lines.filter((x) => x.host === h && x.end >= c.originEpoch - 300 && x.start <= until);
      const f = xs.map((x) => `${(x.start - c.originEpoch).toFixed(0)} ${shortCmd(x.argv)}${x.rc ? `!${x.rc}` : ''} ${(x.end - x.start).toFixed(0)}`).join(' | ');
      console.log(`    ${h} (${typeof done === 'number' ? done.toFixed(0) : done}): ${f}`);
      const pass = xs.find((x) => x.start >= c.originEpoch && x.argv.startsWith('ip -j -d link show'));
      if (!pass || typeof done !== 'number') continue;
      const mine = xs.filter((x) => x.start >= pass.start);
      wait.push(pass.start - c.originEpoch);
      work.push(c.originEpoch + done - pass.start);
      const first = mine.find((x) => shortCmd(x.argv).startsWith('nft-sync'));
      if (first) toFirstSync.push(first.start - pass.start);
      for (const x of mine) {
        const n = shortCmd(x.argv);
        if (n.startsWith('nft-sync')) syncs.push(x.end - x.start);
        if (n.startsWith('conntrack')) cts.push(x.end - x.start);
      }
    }
  });
  const q = (xs: number[]): string => (xs.length ? `median ${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}, n=${xs.length})` : '-');
  console.log('  summary, per node and change:');
  console.log(`    origin -> the pass that programs it starts (links read)   ${q(wait)}`);
  console.log(`    that pass start -> rules seen in the client netns        ${q(work)}`);
  console.log(`      of which: pass start -> first VIP table write          ${q(toFirstSync)}`);
  console.log(`      each VIP table write (nsenter nft -f -), one at a time  ${q(syncs)}`);
  console.log(`      each conntrack -D after a removal, inline              ${q(cts)}`);
}

// ---------------------------------------------------------------- main

const gbit = (bps: number): string => `${(bps / 1e9).toFixed(2)} Gbit/s`;
function summary(xs: readonly Outcome[]): number | 'error' | undefined {
  if (xs.length === 0) return undefined;
  const ok = xs.filter((x): x is number => typeof x === 'number');
  return ok.length === 0 ? 'error' : median(ok);
}
const show = (x: number | 'error' | undefined): string => (x === undefined ? '-' : x === 'error' ? 'ERROR' : gbit(x));
const ratio = (a: number | 'error' | undefined, b: number | 'error' | undefined): number | undefined => (typeof a === 'number' && typeof b === 'number' ? a / b : undefined);
const rx = (r: number | undefined, of: string): string => (r === undefined ? `- ${of}` : `${r.toFixed(2)}x ${of}`);
const met = (ok: boolean | undefined): string => (ok === undefined ? '-' : ok ? 'yes' : 'NO');

function printTable(): void {
  const ua = summary(tput.underlayA);
  const ub = summary(tput.underlayB);
  const td = summary(tput.tsDirect);
  const tv = summary(tput.tsVip);
  const tm = summary(tput.tsMtu);
  const sd = summary(tput.swDirect);
  const rDirSw = ratio(td, sd);
  const rMtuSw = ratio(tm, sd);
  const mtu = (k: PathKey): string => (mtus[k] === undefined ? '' : ` (MTU ${mtus[k]})`);
  const rVipDir = ratio(tv, td);
  const lat = changes.map((c) => c.latency).filter((x): x is number => typeof x === 'number');
  const timeouts = changes.filter((c) => c.latency === 'timeout').length;
  const p50 = lat.length && !timeouts ? percentile(lat, 50) : undefined;
  const p99 = lat.length && !timeouts ? percentile(lat, 99) : undefined;
  const ms = (x: number | undefined): string => (x === undefined ? (changes.length ? `${timeouts} TIMEOUT(S)` : '-') : `${x.toFixed(0)} ms`);
  const rows = [
    ['scenario', 'tsswarm', 'Docker Swarm', 'floor (underlay)', 'ratios', 'target', 'met'],
    ['iperf3 h1 -> h2, overlay by task IP', show(td) + mtu('tsDirect'), show(sd) + mtu('swDirect'), show(ua), `${rx(ratio(td, ua), 'floor')}, ${rx(rDirSw, 'Swarm')}`, '>= 1.0x Swarm', met(rDirSw === undefined ? undefined : rDirSw >= 1.0)],
    [`the same, tsswarm overlay -o mtu=${SWARM_MTU}`, show(tm) + mtu('tsMtu'), show(sd) + mtu('swDirect'), show(ua), `${rx(ratio(tm, ua), 'floor')}, ${rx(rMtuSw, 'Swarm')}`, '>= 1.0x Swarm', met(rMtuSw === undefined ? undefined : rMtuSw >= 1.0)],
    ['iperf3 h1 -> h2, through the VIP', show(tv) + mtu('tsVip'), 'n/a (no IPVS)', show(ua), `${rx(ratio(tv, ua), 'floor')}, ${rx(rVipDir, 'our task IP')}`, '>= 0.95x our task IP', met(rVipDir === undefined ? undefined : rVipDir >= 0.95)],
    ['iperf3 h1 -> h2, underlay', show(ua), show(ub), '-', rx(ratio(ua, ub), 'lab B'), '-', '-'],
    [`VIP programming p50 (${changes.length} changes, ${HOSTS.length} nodes)`, ms(p50), 'n/a (no IPVS)', '-', '-', '<= 200 ms', met(p50 === undefined ? undefined : p50 <= 200)],
    [`VIP programming p99`, ms(p99), 'n/a (no IPVS)', '-', '-', '<= 1 s', met(p99 === undefined ? undefined : p99 <= 1000)],
  ];
  if (mesh.ts.length && mesh.direct.length) {
    const mr = median(mesh.ts.map((x) => x.rps));
    const dr = median(mesh.direct.map((x) => x.rps));
    const mp = median(mesh.ts.map((x) => x.p99ms));
    const dp = median(mesh.direct.map((x) => x.p99ms));
    rows.push(
      [`HTTP via the mesh (client -> h3, task on h2), wrk -c${WRK_CONNS}`, `${mr.toFixed(0)} req/s`, mesh.swarm ?? '-', `${dr.toFixed(0)} req/s direct`, `${(mr / dr).toFixed(2)}x direct`, '>= 0.9x direct', met(mr / dr >= 0.9)],
      ['  the same, p99 latency', `${mp.toFixed(2)} ms`, '-', `${dp.toFixed(2)} ms direct`, `${(mp / dp).toFixed(2)}x direct`, '-', '-'],
    );
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => `| ${r.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(rows[0]!));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const r of rows.slice(1)) console.log(line(r));
  console.log('');
  console.log(`throughput per run (Gbit/s, ${SECONDS} s each; the figure is the median):`);
  for (const p of PATHS) if (tput[p].length) console.log(`  ${PATH_LABEL[p].padEnd(42)} ${tput[p].map((x) => (typeof x === 'number' ? (x / 1e9).toFixed(2) : x)).join('  ')}`);
  // Ratios of tests run seconds apart, per run: steadier than a ratio of medians when the
  // machine's load drifts (it is shared).
  const paired = (a: PathKey, b: PathKey, what: string): void => {
    const rs = tput[a].flatMap((x, i) => {
      const y = tput[b][i];
      return typeof x === 'number' && typeof y === 'number' ? [x / y] : [];
    });
    if (rs.length) console.log(`  paired ${what.padEnd(35)} ${rs.map((r) => r.toFixed(2)).join('  ')}  (median ${median(rs).toFixed(2)}x)`);
  };
  paired('tsDirect', 'swDirect', 'tsswarm task IP / Swarm task IP');
  paired('tsMtu', 'swDirect', `tsswarm mtu ${SWARM_MTU} / Swarm task IP`);
  paired('tsVip', 'tsDirect', 'tsswarm VIP / tsswarm task IP');
  if (mesh.ts.length) {
    console.log(`  mesh req/s per run    ${mesh.ts.map((x) => x.rps.toFixed(0)).join('  ')}`);
    console.log(`  direct req/s per run  ${mesh.direct.map((x) => x.rps.toFixed(0)).join('  ')}`);
    const rs = mesh.ts.flatMap((x, i) => (mesh.direct[i] ? [x.rps / mesh.direct[i].rps] : []));
    if (rs.length) console.log(`  paired mesh / direct  ${rs.map((r) => r.toFixed(2)).join('  ')}  (median ${median(rs).toFixed(2)}x)`);
  }
  if (changes.length) {
    const f = (xs: number[]): string => (xs.length ? `p50 ${percentile(xs, 50).toFixed(0)} ms, p99 ${percentile(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})` : '-');
    const num = (xs: Array<number | 'timeout'>): number[] => xs.filter((x): x is number => typeof x === 'number');
    console.log('');
    console.log('VIP programming latency (to the last node; up: from running in the store, down: from the API ack):');
    console.log(`  all      ${f(lat)}`);
    for (const k of ['up', 'down'] as const) console.log(`  ${k.padEnd(8)} ${f(num(changes.filter((c) => c.kind === k).map((c) => c.latency)))}`);
    console.log(`  per node ${f(num(changes.flatMap((c) => Object.values(c.perNode))))}`);
    console.log(`  per change (ms): ${changes.map((c) => `${c.kind === 'up' ? '+' : '-'}${typeof c.latency === 'number' ? c.latency.toFixed(0) : c.latency}`).join(' ')}`);
    console.log(`  up: ack -> running in the store ${f(changes.filter((c) => c.kind === 'up').map((c) => c.storeMs))}`);
    console.log(`  down: ack -> asked to stop in the store ${f(changes.filter((c) => c.kind === 'down').map((c) => c.storeMs))}`);
    console.log(`  scale call round trip ${f(changes.map((c) => c.ackMs))}`);
    console.log(`  poll round trips: store median ${median(pollStats.store).toFixed(1)} ms, nft median ${median(pollStats.nft).toFixed(1)} ms (p99 ${percentile(pollStats.nft, 99).toFixed(0)} ms), ${POLL_MS} ms between polls`);
  }
  // Kubernetes for scale (reference only, not run here): its nftables kube-proxy measured
  // NetworkProgrammingLatency p50 1.52 s, p99 6.8 s on the 100-node performance job
  // (kubernetes/kubernetes#124272, pull-kubernetes-e2e-gce-100-performance, 2024-04-11).
  console.log('  (reference, not measured here: Kubernetes nftables kube-proxy, 100 nodes, p99 6.8 s; kubernetes/kubernetes#124272)');
}

async function main(): Promise<number> {
  const started = new Date();
  const version = (await run('iperf3', ['--version'], { check: false })).stdout.split('\n')[0] ?? '?';
  console.log(`net benchmark ${started.toISOString()}: ${RUNS} iperf3 run(s) of ${SECONDS} s per path; ${CHANGES} VIP changes, polls every ${POLL_MS} ms; ${version}; load average ${loadavg()}`);

  let labA: Lab | undefined;
  let labB: Lab | undefined;
  let sw: SwarmNodes | undefined;
  let shims: Awaited<ReturnType<typeof traceShims>> | undefined;
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
    const A = labA;
    const B = labB;

    t = Date.now();
    let tsx: Awaited<ReturnType<typeof tsswarmSetup>> | undefined;
    if (ONLY !== 'swarm') {
      shims = TRACE ? await traceShims() : undefined;
      sw = new SwarmNodes(A, { env: { TSSWARM_HEARTBEAT_MS: '', ...(shims ? { PATH: shims.path } : {}) } });
      tsx = await tsswarmSetup(A, sw);
      log(`tsswarm: cluster, overlay and iperf tasks (${Date.now() - t} ms); server ${tsx.server.ip}, VIP ${tsx.vip}`);
    }
    t = Date.now();
    let swx: Awaited<ReturnType<typeof swarmSetup>> | undefined;
    if (ONLY !== 'tsswarm') {
      try {
        swx = await swarmSetup(B);
        log(`Docker Swarm: cluster, overlay and iperf tasks (${Date.now() - t} ms); server ${swx.server.ip}`);
      } catch (e) {
        notes.push(`Docker Swarm's overlay could not be measured: ${(e as Error).message}`);
        log(notes.at(-1)!);
      }
    }

    // Throughput: every path once per run, the order reversed on odd runs (a drift in the
    // machine's load should not favour one side).
    // The order puts every compared pair next to each other (VIP | task IP | Swarm | our MTU-1450
    // overlay), so the per-run ratios below compare tests seconds apart.
    type Path = [PathKey, () => Promise<number>];
    const paths: Path[] = [
      ['underlayA', () => iperf(A.host('h2').netnsPath, A.host('h1').netnsPath, A.host('h2').ip)],
      ...(tsx ? ([['tsVip', () => iperf(tsx.server.netns, tsx.client.netns, tsx.vip)], ['tsDirect', () => iperf(tsx.server.netns, tsx.client.netns, tsx.server.ip)]] as Path[]) : []),
      ...(swx ? ([['swDirect', () => iperf(swx.server.netns, swx.client.netns, swx.server.ip)]] as Path[]) : []),
      ...(tsx ? ([['tsMtu', () => iperf(tsx.serverMtu.netns, tsx.clientMtu.netns, tsx.serverMtu.ip)]] as Path[]) : []),
      ['underlayB', () => iperf(B.host('h2').netnsPath, B.host('h1').netnsPath, B.host('h2').ip)],
    ];
    for (let i = 0; i < RUNS; i++) {
      log(`iperf3 run ${i + 1}/${RUNS}; load average ${loadavg()}`);
      for (const [key, fn] of i % 2 === 0 ? paths : [...paths].reverse()) {
        try {
          const bps = await fn();
          tput[key].push(bps);
          log(`  ${PATH_LABEL[key]}: ${gbit(bps)}`);
        } catch (e) {
          tput[key].push('error');
          log(`  ${PATH_LABEL[key]}: ${(e as Error).message}`);
        }
      }
    }

    if (tsx) {
      await tsx.ts.ok(['service', 'rm', 'iperf-srv', 'iperf-cli', 'iperf-srvm', 'iperf-clim']);
      log(`ingress mesh; load average ${loadavg()}`);
      try {
        await meshTsswarm(A, tsx.ts);
      } catch (e) {
        notes.push(`tsswarm's mesh could not be measured: ${(e as Error).message}`);
        log(notes.at(-1)!);
      }
    }
    if (swx) await meshSwarm(B).catch((e: unknown) => void (mesh.swarm = `could not be set up: ${(e as Error).message}`));
    if (tsx) {
      // Only the latency services from here on.
      log(`programming latency; load average ${loadavg()}`);
      const pids = await programmingLatency(A, tsx.ts);
      if (shims) printTrace(shims.log, pids);
    }

    console.log('');
    console.log(`finished ${new Date().toISOString()} (${((Date.now() - started.getTime()) / 60000).toFixed(1)} min); load average ${loadavg()}`);
    printTable();
    for (const n of notes) console.log(`note: ${n}`);
    return 0;
  } catch (e) {
    log(`FAILED: ${(e as Error).stack ?? String(e)}`);
    if (sw) for (const h of HOSTS) log(`--- tsswarm ${h} log ---\n${sw.logTail(h, 15)}`);
    printTable();
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
