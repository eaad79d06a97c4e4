/**
 * The lab: several Docker hosts on one machine, for multi-host tests (and `scripts/lab.sh`).
 *
 * Each host is a network namespace with a veth to a shared bridge in the root namespace, and its
 * own `dockerd` started inside that namespace (`nsenter --net`, never `ip netns exec`, which
 * remounts /sys and hides the cgroup mounts so dockerd refuses to start) with its own UTS namespace
 * and hostname, data root, exec root, socket, pidfile, cgroup parent, `--bip` subnet and engine key.
 * The recipe is in specs/lab.md.
 *
 * Every name and path is a pure function of (lab name, host index), so a lab can be re-attached by
 * a later process (`scripts/lab.sh status|exec|down`) and torn down from nothing but its name:
 * teardown discovers what exists instead of trusting memory, which makes it safe to call twice and
 * after a setup that failed half-way.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promises as fsp, openSync, closeSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

/** How a lab is named and laid out. Everything has a default except nothing: `{}` is a valid lab. */
export interface LabConfig {
  /** Prefix of every netns, link, cgroup and path: `[a-z][a-z0-9]{1,5}` (link names are capped at 15 chars). */
  name?: string;
  /** Third octet of the underlay: hosts live in 10.199.<net>.0/24 (0..15; nets 14 and 15 take at most 7 hosts). Two labs need two nets. */
  net?: number;
  /** Where data roots, configs and logs go; default /var/lib/tslab/<name>. */
  stateDir?: string;
  /** Where sockets, exec roots and pidfiles go; default /run/tslab/<name>. Keep it short (unix socket paths). */
  runDir?: string;
  /** Progress lines (the CLI prints them; tests usually drop them). */
  log?: (line: string) => void;
}

export interface LabUpOptions extends LabConfig {
  /** Number of hosts, 1..15. */
  hosts: number;
  /** Image(s) copied from the main engine into every host's engine; default the test busybox image. `[]` skips. */
  images?: readonly string[];
  /** Extra daemon.json keys for every host's dockerd. */
  daemonConfig?: Readonly<Record<string, unknown>>;
  /** Hostname of host i (1-based); default `h<i>`. */
  hostname?: (index: number) => string;
  /** How long one dockerd may take to answer; default 60 s. */
  startTimeoutMs?: number;
  /**
   * Let Docker Swarm's agents pull images as they do in production. By default the lab's engines
   * run with DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 (no registry: a pull per task would fail), which
   * also keeps them from pulling an image they do not have.
   */
  swarmPulls?: boolean;
}

/** One lab host: where everything of it lives. Pure data, computed from the lab config. */
export interface LabHost {
  /** 1-based. */
  readonly index: number;
  /** Short name used on the command line: `h1`. */
  readonly id: string;
  readonly hostname: string;
  readonly netns: string;
  readonly netnsPath: string;
  /** Underlay address (on the shared bridge) without prefix length. */
  readonly ip: string;
  /** Host side of the veth (in the root namespace); its peer is `eth0` in the host's netns. */
  readonly veth: string;
  readonly socket: string;
  /** `unix:///...`, for DOCKER_HOST or `docker -H`. */
  readonly dockerHost: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly pidfile: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly cgroupParent: string;
  /** docker0's address inside this host, CIDR. */
  readonly bip: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Fail (throw) on a non-zero exit; default true. */
  check?: boolean;
  timeoutMs?: number;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
}

/** A process started in a host by {@link Lab.spawnInHost}; teardown kills it with the host. */
export interface LabProcess {
  readonly host: LabHost;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Exit code (or null when killed by a signal). */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

const DEFAULT_IMAGE = 'tscompose-test/busybox:latest';
const NAME_RE = /^[a-z][a-z0-9]{1,5}$/;
/** nft table in each host's netns holding the peers that host is partitioned from. */
const PART_TABLE = 'tslab_part';

/** Runs a command; never throws on exit status unless `check` (default true). */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        const res: RunResult = { code, stdout, stderr };
        if (err !== null && (opts.check ?? true)) {
          const why = err.killed ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : `exited ${String(err.code ?? err.signal)}`;
          reject(new Error(`${cmd} ${args.join(' ')}: ${why}\n${stderr.trim()}`));
          return;
        }
        resolve(res);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`
 * with the last error or value: tests wait for a state, never for a fixed time.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? last.message : String(last);
      throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${opts.what ?? 'a condition'} (last: ${why})`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** GET /_ping on a unix socket; true when the engine answers OK. */
export function engineAnswers(socket: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function pidAlive(pid: number): boolean {
  try {
    // A zombie has no resources left and cannot be killed again: treat it as gone.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(pidAlive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = left.filter(pidAlive);
  }
  return left;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone: that is what we wanted.
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => p !== process.pid);
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Where the containerd that a host's dockerd manages writes its pid. */
function containerdPidfile(h: LabHost): string {
  return path.join(h.execRoot, 'containerd', 'containerd.pid');
}

function netnsInode(netnsPath: string): number | undefined {
  try {
    return statSync(netnsPath).ino;
  } catch {
    return undefined;
  }
}

/** Where containerd shims (of every containerd on the machine) put their sockets. */
const SHIM_SOCKET_DIR = '/run/containerd/s/';

/** Unix sockets under {@link SHIM_SOCKET_DIR} that process `pid` holds open. */
function boundShimSockets(pid: number): string[] {
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m?.[1] !== undefined) inodes.add(m[1]);
      } catch {
        /* fd closed meanwhile */
      }
    }
    if (inodes.size === 0) return [];
    // /proc/PID/net/unix lists the sockets of that process's netns: Num RefCount Protocol Flags Type St Inode Path
    const out: string[] = [];
    for (const line of readFileSync(`/proc/${pid}/net/unix`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const inode = f[6];
      const p = f[7];
      if (inode !== undefined && p !== undefined && inodes.has(inode) && p.startsWith(SHIM_SOCKET_DIR)) out.push(p);
    }
    return out;
  } catch {
    return [];
  }
}

/** Pids whose network namespace is `inode`. */
function pidsInNetns(inode: number): number[] {
  const want = `net:[${inode}]`;
  return allPids().filter((p) => {
    try {
      return readlinkSync(`/proc/${p}/ns/net`) === want;
    } catch {
      return false;
    }
  });
}

/** Pids whose command line mentions `needle` (e.g. a host's exec root: dockerd, its containerd). */
function pidsWithArg(needle: string): number[] {
  return allPids().filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  });
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Every cgroup directory named `parent` (v1: one per controller; v2: one), deepest first. */
function cgroupDirs(parent: string): string[] {
  const tops: string[] = [];
  const direct = path.join(CGROUP_ROOT, parent);
  try {
    if (statSync(path.join(direct, 'cgroup.procs')).isFile()) tops.push(direct);
  } catch {
    /* not v2 or absent */
  }
  let controllers: string[];
  try {
    controllers = readdirSync(CGROUP_ROOT);
  } catch {
    return [];
  }
  for (const c of controllers) {
    const d = path.join(CGROUP_ROOT, c, parent);
    try {
      if (statSync(d).isDirectory()) tops.push(d);
    } catch {
      /* absent under this controller */
    }
  }
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => path.join(d, e.name));
    } catch {
      return;
    }
    for (const e of entries) walk(e);
    out.push(d);
  };
  for (const t of tops) walk(t);
  return out;
}

function pidsInCgroups(dirs: readonly string[]): number[] {
  const pids = new Set<number>();
  for (const d of dirs) {
    try {
      for (const l of readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim() !== '') pids.add(Number(l));
    } catch {
      /* gone */
    }
  }
  return [...pids];
}

/** Mount points at or under one of `roots`, deepest first (octal escapes of mountinfo decoded). */
export function mountsUnder(roots: readonly string[]): string[] {
  let info: string;
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const f = line.split(' ');
    const mp = f[4];
    if (mp === undefined) continue;
    const p = mp.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (roots.some((r) => p === r || p.startsWith(r + '/'))) out.push(p);
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/** Lab-wide names, resolved from a config. */
interface LabLayout {
  name: string;
  net: number;
  stateDir: string;
  runDir: string;
  bridge: string;
  bridgeIp: string;
  subnet: string;
  /** Comment on every iptables rule of this lab, so teardown finds exactly ours. */
  ruleTag: string;
}

function layoutOf(cfg: LabConfig): LabLayout {
  const name = cfg.name ?? 'tslab';
  if (!NAME_RE.test(name)) throw new Error(`lab name ${JSON.stringify(name)}: expected [a-z][a-z0-9]{1,5} (it prefixes 15-char link names)`);
  const net = cfg.net ?? 0;
  if (!Number.isInteger(net) || net < 0 || net > 15) throw new Error(`lab net ${net}: expected an integer 0..15 (underlay 10.199.<net>.0/24)`);
  return {
    name,
    net,
    stateDir: cfg.stateDir ?? `/var/lib/tslab/${name}`,
    runDir: cfg.runDir ?? `/run/tslab/${name}`,
    bridge: `${name}0`,
    bridgeIp: `10.199.${net}.1`,
    subnet: `10.199.${net}.0/24`,
    ruleTag: `tslab:${name}`,
  };
}

function hostOf(l: LabLayout, index: number, hostname?: string): LabHost {
  if (!Number.isInteger(index) || index < 1 || index > 15) throw new Error(`host index ${index}: expected 1..15`);
  const id = `h${index}`;
  const state = path.join(l.stateDir, id);
  const runDir = path.join(l.runDir, id);
  const socket = path.join(runDir, 'docker.sock');
  return {
    index,
    id,
    hostname: hostname ?? id,
    netns: `${l.name}-${id}`,
    netnsPath: `/run/netns/${l.name}-${id}`,
    ip: `10.199.${l.net}.${10 + index}`,
    veth: `${l.name}${id}`,
    socket,
    dockerHost: `unix://${socket}`,
    dataRoot: path.join(state, 'docker'),
    execRoot: path.join(runDir, 'x'),
    pidfile: path.join(runDir, 'docker.pid'),
    configFile: path.join(state, 'daemon.json'),
    logFile: path.join(state, 'dockerd.log'),
    cgroupParent: `${l.name}-${id}`,
    // docker0 subnets: 10.199.(64 + 16*net + index).0/24 for nets 0-11, 10.199.(32 + 16*(net-12) +
    // index).0/24 for nets 12-13 (the first formula runs out of octets at 11) — disjoint from every
    // lab's underlay and from each other across labs and hosts, and far from the main engine's 172.17/16.
    bip: `10.199.${l.net <= 11 ? 64 + 16 * l.net + index : l.net <= 13 ? 32 + 16 * (l.net - 12) + index : 16 + 8 * (l.net - 14) + index}.1/24`,
  };
}

/** Netns names of an existing lab, as host indexes. */
async function existingHostIndexes(l: LabLayout): Promise<number[]> {
  const res = await run('ip', ['netns', 'list'], { check: false });
  const re = new RegExp(`^${l.name}-h(\\d+)\\b`);
  const idx = new Set<number>();
  for (const line of res.stdout.split('\n')) {
    const m = re.exec(line.trim());
    if (m?.[1] !== undefined) idx.add(Number(m[1]));
  }
  // A failed setup may have left a state dir (or a veth) without a netns: include those too.
  try {
    for (const d of readdirSync(l.stateDir)) {
      const m = /^h(\d+)$/.exec(d);
      if (m?.[1] !== undefined) idx.add(Number(m[1]));
    }
  } catch {
    /* no state dir */
  }
  const links = await run('ip', ['-o', 'link', 'show'], { check: false });
  const lre = new RegExp(`^\\d+: ${l.name}h(\\d+)[@:]`);
  for (const line of links.stdout.split('\n')) {
    const m = lre.exec(line);
    if (m?.[1] !== undefined) idx.add(Number(m[1]));
  }
  return [...idx].filter((i) => i >= 1 && i <= 15).sort((a, b) => a - b);
}

/** Everything `teardown` found and removed, for assertions and the CLI. */
export interface TeardownReport {
  killed: number;
  unmounted: number;
  netns: string[];
  links: string[];
  rules: number;
}

/** What is left of a lab on this machine (empty lists = clean). */
export interface LabResidue {
  netns: string[];
  links: string[];
  mounts: string[];
  pids: number[];
  rules: string[];
  cgroups: string[];
  dirs: string[];
}

export class Lab {
  readonly name: string;
  readonly bridge: string;
  readonly bridgeIp: string;
  readonly subnet: string;
  readonly hosts: readonly LabHost[];
  readonly #layout: LabLayout;
  readonly #log: (line: string) => void;
  readonly #children = new Set<LabProcess>();
  readonly #dockerArgs = new Map<number, string[]>();
  #startTimeoutMs = 60_000;
  #swarmPulls = false;

  private constructor(layout: LabLayout, hosts: LabHost[], log: (line: string) => void) {
    this.#layout = layout;
    this.name = layout.name;
    this.bridge = layout.bridge;
    this.bridgeIp = layout.bridgeIp;
    this.subnet = layout.subnet;
    this.hosts = hosts;
    this.#log = log;
  }

  /**
   * Creates a lab of `hosts` hosts and waits until every engine answers with the images loaded.
   * Refuses when a lab of that name exists (tear it down first). On failure it tears down what it made.
   */
  static async up(opts: LabUpOptions): Promise<Lab> {
    const layout = layoutOf(opts);
    const maxHosts = layout.net >= 14 ? 7 : 15; // docker0 of nets 14-15 share 10.199.16-31
    if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > maxHosts) throw new Error(`hosts ${opts.hosts}: expected 1..${maxHosts} on net ${layout.net}`);
    if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, bridges, dockerd)');
    const existing = await existingHostIndexes(layout);
    if (existing.length > 0) throw new Error(`lab ${layout.name} already exists (hosts ${existing.map((i) => `h${i}`).join(' ')}); tear it down first`);
    // Two labs on one underlay would put the same address on two bridges: refuse before touching anything.
    const taken = await run('ip', ['-o', '-4', 'addr', 'show', 'to', `${layout.bridgeIp}/32`], { check: false });
    if (taken.stdout.trim() !== '') {
      const dev = taken.stdout.trim().split(/\s+/)[1] ?? '?';
      throw new Error(`underlay ${layout.subnet} is in use (${layout.bridgeIp} is on ${dev}); pick another net (TSLAB_NET) or tear that lab down`);
    }
    for (const image of opts.images ?? [DEFAULT_IMAGE]) {
      const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { check: false });
      if (r.code !== 0) throw new Error(`image ${image} is not in the main engine (needed to seed the lab engines); run scripts/setup-host.sh`);
    }
    const hosts = Array.from({ length: opts.hosts }, (_, i) => hostOf(layout, i + 1, opts.hostname?.(i + 1)));
    const lab = new Lab(layout, hosts, opts.log ?? (() => {}));
    lab.#startTimeoutMs = opts.startTimeoutMs ?? 60_000;
    lab.#swarmPulls = opts.swarmPulls === true;
    try {
      await lab.#create(opts);
    } catch (e) {
      lab.#log(`setup failed, tearing down: ${(e as Error).message}`);
      await lab.teardown().catch(() => undefined);
      throw e;
    }
    return lab;
  }

  /** Re-attaches to a lab made by an earlier process (hosts discovered from its netns). */
  static async attach(cfg: LabConfig = {}): Promise<Lab> {
    const layout = layoutOf(cfg);
    const idx = await existingHostIndexes(layout);
    const hosts = idx.map((i) => {
      let hostname: string | undefined;
      try {
        hostname = readFileSync(path.join(layout.stateDir, `h${i}`, 'hostname'), 'utf8').trim() || undefined;
      } catch {
        /* default */
      }
      return hostOf(layout, i, hostname);
    });
    return new Lab(layout, hosts, cfg.log ?? (() => {}));
  }

  /** Host by id (`h2`), hostname or 1-based index. */
  host(which: string | number): LabHost {
    const h = this.hosts.find((x) => x.index === which || x.id === which || x.hostname === which);
    if (h === undefined) throw new Error(`no host ${String(which)} in lab ${this.name} (hosts: ${this.hosts.map((x) => x.id).join(' ') || 'none'})`);
    return h;
  }

  async #create(opts: LabUpOptions): Promise<void> {
    const l = this.#layout;
    const t0 = Date.now();
    await fsp.mkdir(l.stateDir, { recursive: true });
    await fsp.mkdir(l.runDir, { recursive: true });
    const images = opts.images ?? [DEFAULT_IMAGE];
    // Save the images once from the main engine while the network is being built.
    const imageTar = path.join(l.stateDir, 'images.tar');
    const saved = images.length > 0 ? run('docker', ['save', '-o', imageTar, ...images], { timeoutMs: 120_000 }) : Promise.resolve(undefined);
    saved.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile

    await run('ip', ['link', 'add', l.bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${l.bridgeIp}/24`, 'dev', l.bridge]);
    await run('ip', ['link', 'set', l.bridge, 'up']);
    // The main dockerd sets FORWARD to DROP and br_netfilter sends bridged frames through it: allow
    // traffic between lab hosts explicitly, and drop anything a lab host tries to route elsewhere
    // (the lab must never reach beyond namespaces it created). Tagged so teardown removes only ours.
    await run('iptables', ['-w', '-I', 'FORWARD', '1', '-i', l.bridge, '-o', l.bridge, '-m', 'comment', '--comment', l.ruleTag, '-j', 'ACCEPT']);
    await run('iptables', ['-w', '-I', 'FORWARD', '2', '-i', l.bridge, '!', '-o', l.bridge, '-m', 'comment', '--comment', l.ruleTag, '-j', 'DROP']);

    await Promise.all(this.hosts.map((h) => this.#createHostNet(h)));
    this.#log(`network ready (${Date.now() - t0} ms)`);
    await Promise.all(this.hosts.map((h) => this.#writeHostConfig(h, opts.daemonConfig ?? {})));
    await Promise.all(this.hosts.map((h) => this.startDockerd(h)));
    this.#log(`engines answer (${Date.now() - t0} ms)`);
    if (images.length > 0) {
      await saved;
      await Promise.all(this.hosts.map((h) => run('docker', ['-H', h.dockerHost, 'load', '-q', '-i', imageTar], { timeoutMs: 120_000 })));
      this.#log(`images loaded: ${images.join(' ')} (${Date.now() - t0} ms)`);
    }
  }

  async #createHostNet(h: LabHost): Promise<void> {
    await run('ip', ['netns', 'add', h.netns]);
    // The peer is created directly inside the netns and named eth0 there, like a real host's NIC.
    await run('ip', ['link', 'add', h.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.netns]);
    await run('ip', ['link', 'set', h.veth, 'master', this.bridge, 'up']);
    const inNs = (args: string[]): Promise<RunResult> => run('nsenter', [`--net=${h.netnsPath}`, '--', ...args]);
    await inNs(['ip', 'link', 'set', 'lo', 'up']);
    await inNs(['ip', 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
    await inNs(['ip', 'link', 'set', 'eth0', 'up']);
    // A default route makes "which address is mine" logic (Docker's, ours) work as on a real host;
    // the FORWARD DROP rule above keeps anything routed this way inside the lab.
    await inNs(['ip', 'route', 'add', 'default', 'via', this.bridgeIp]);
    // Partition support: a table whose set lists the peers this host cannot talk to (empty = healed).
    const ruleset = [
      `table inet ${PART_TABLE} {`,
      '  set peers { type ipv4_addr; }',
      '  chain input { type filter hook input priority -10; ip saddr @peers drop; }',
      '  chain output { type filter hook output priority -10; ip daddr @peers drop; }',
      '  chain forward { type filter hook forward priority -10; ip saddr @peers drop; ip daddr @peers drop; }',
      '}',
    ].join('\n');
    await run('nsenter', [`--net=${h.netnsPath}`, '--', 'nft', '-f', '-'], { input: ruleset });
  }

  async #writeHostConfig(h: LabHost, extra: Readonly<Record<string, unknown>>): Promise<void> {
    const dir = path.dirname(h.configFile);
    await fsp.mkdir(dir, { recursive: true });
    await fsp.mkdir(h.dataRoot, { recursive: true });
    await fsp.mkdir(path.dirname(h.socket), { recursive: true });
    const config = {
      // Without its own key file every engine derives the same ID from the shared default path.
      'deprecated-key-path': path.join(dir, 'key.json'),
      ...extra,
    };
    await fsp.writeFile(h.configFile, JSON.stringify(config, null, 2) + '\n');
    await fsp.writeFile(path.join(dir, 'hostname'), h.hostname + '\n');
  }

  /**
   * argv that runs `cmd args` inside host `h`: its network namespace and a private UTS namespace
   * carrying its hostname (so daemons see `h1`, not the machine's name). Mount and pid namespaces
   * stay the machine's, as dockerd needs the real /sys and cgroup mounts.
   */
  hostArgv(h: LabHost, cmd: string, args: readonly string[]): string[] {
    return ['unshare', '--uts', '--', 'nsenter', `--net=${h.netnsPath}`, '--', 'sh', '-c', 'hostname "$0" && exec "$@"', h.hostname, cmd, ...args];
  }

  /** Runs a command in a host (see {@link hostArgv}) and waits for it. */
  exec(host: LabHost | string | number, cmd: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const h = typeof host === 'object' ? host : this.host(host);
    const [c, ...rest] = cmd;
    if (c === undefined) throw new Error('exec: empty command');
    const argv = this.hostArgv(h, c, rest);
    return run(argv[0]!, argv.slice(1), opts);
  }

  /** `docker -H <host's socket> args...` from the root namespace (the socket is a file, reachable anywhere). */
  docker(host: LabHost | string | number, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const h = typeof host === 'object' ? host : this.host(host);
    return run('docker', ['-H', h.dockerHost, ...args], opts);
  }

  /**
   * Starts a long-running process inside a host (e.g. a tsswarm daemon), tracked so that teardown
   * kills it; it is also in the host's netns, so a teardown from another process finds it too.
   * Output goes to `logFile` (default <state>/<hN>/<cmd>.log), appended.
   */
  spawnInHost(
    host: LabHost | string | number,
    cmd: string,
    args: readonly string[],
    env: Readonly<Record<string, string>> = {},
    opts: { logFile?: string; detached?: boolean } = {},
  ): LabProcess {
    const h = typeof host === 'object' ? host : this.host(host);
    const logFile = opts.logFile ?? path.join(path.dirname(h.configFile), `${path.basename(cmd)}.log`);
    const fd = openSync(logFile, 'a');
    const argv = this.hostArgv(h, cmd, args);
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd], env: childEnv, detached: opts.detached ?? true });
    } finally {
      closeSync(fd);
    }
    if (child.pid === undefined) throw new Error(`could not start ${cmd} in ${h.id}`);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Detached children must not keep the test runner or the CLI alive.
    child.unref();
    const proc: LabProcess = {
      host: h,
      pid: child.pid,
      child,
      exited,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => kill(child.pid!, signal),
    };
    this.#children.add(proc);
    void exited.then(() => this.#children.delete(proc));
    return proc;
  }

  /** Starts the host's dockerd (again) and waits until it answers. */
  async startDockerd(host: LabHost | string | number): Promise<void> {
    const h = typeof host === 'object' ? host : this.host(host);
    if (await engineAnswers(h.socket, 500)) throw new Error(`${h.id}: dockerd already answers on ${h.socket}`);
    await fsp.mkdir(path.dirname(h.socket), { recursive: true });
    // A dead (or zombie, not yet reaped by PID 1) containerd behind a stale pidfile makes dockerd
    // wait for it forever ("containerd is still running"): drop the pidfile when that pid is gone.
    const cpid = readPid(containerdPidfile(h));
    if (cpid !== undefined && !pidAlive(cpid)) await fsp.rm(containerdPidfile(h), { force: true });
    const args = [
      '--data-root', h.dataRoot,
      '--exec-root', h.execRoot,
      '--pidfile', h.pidfile,
      '-H', h.dockerHost,
      '--bip', h.bip,
      '--cgroup-parent', h.cgroupParent,
      '--config-file', h.configFile,
    ];
    this.#dockerArgs.set(h.index, args);
    // Swarm mode in a lab without a registry would try a pull per task; harmless for plain Docker.
    const env: Record<string, string> = this.#swarmPulls ? {} : { DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' };
    const dockerd = process.env.TSLAB_DOCKERD ?? 'dockerd';
    const p = this.spawnInHost(h, dockerd, args, env, { logFile: h.logFile });
    const deadline = Date.now() + this.#startTimeoutMs;
    let exitCode: number | null | undefined;
    void p.exited.then((c) => {
      exitCode = c;
    });
    while (Date.now() < deadline) {
      if (await engineAnswers(h.socket, 1000)) return;
      if (exitCode !== undefined) break;
      await sleep(100);
    }
    let tail = '';
    try {
      tail = (await fsp.readFile(h.logFile, 'utf8')).split('\n').slice(-15).join('\n');
    } catch {
      /* no log */
    }
    const why = exitCode !== undefined ? `exited with ${String(exitCode)}` : `did not answer within ${this.#startTimeoutMs} ms`;
    throw new Error(`${h.id}: dockerd ${why} (log ${h.logFile}):\n${tail}`);
  }

  /** Pid of the host's dockerd from its pidfile, if it is alive. */
  dockerdPid(host: LabHost | string | number): number | undefined {
    const h = typeof host === 'object' ? host : this.host(host);
    const pid = readPid(h.pidfile);
    return pid !== undefined && pidAlive(pid) ? pid : undefined;
  }

  /**
   * Stops the host's dockerd: SIGTERM (containers stop, state is saved) or SIGKILL (a crash:
   * containers and its containerd live on, as after a real dockerd crash). Waits until it is gone.
   */
  async killDockerd(host: LabHost | string | number, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<void> {
    const h = typeof host === 'object' ? host : this.host(host);
    const pid = this.dockerdPid(h);
    if (pid === undefined) return;
    // dockerd starts its containerd with a parent-death signal, so after a SIGKILL that one dies
    // too, but asynchronously: wait for it as well, or a quick restart finds it "still running".
    const containerd = readPid(containerdPidfile(h));
    kill(pid, signal);
    const left = await waitGone(containerd === undefined ? [pid] : [pid, containerd], timeoutMs);
    if (left.includes(pid)) throw new Error(`${h.id}: dockerd ${pid} still alive ${timeoutMs} ms after ${signal}`);
  }

  async restartDockerd(host: LabHost | string | number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.killDockerd(host, signal);
    await this.startDockerd(host);
  }

  /** Cuts a host off the shared bridge (its NIC loses carrier): nothing in or out. */
  async cut(host: LabHost | string | number): Promise<void> {
    const h = typeof host === 'object' ? host : this.host(host);
    await run('ip', ['link', 'set', h.veth, 'down']);
  }

  /** Undoes {@link cut}. */
  async heal(host: LabHost | string | number): Promise<void> {
    const h = typeof host === 'object' ? host : this.host(host);
    await run('ip', ['link', 'set', h.veth, 'up']);
  }

  /** Drops all traffic between two hosts (both directions, containers included); others unaffected. */
  async partition(a: LabHost | string | number, b: LabHost | string | number): Promise<void> {
    await this.#partSet(a, b, 'add');
  }

  /** Undoes {@link partition} for that pair. */
  async unpartition(a: LabHost | string | number, b: LabHost | string | number): Promise<void> {
    await this.#partSet(a, b, 'delete');
  }

  async #partSet(a: LabHost | string | number, b: LabHost | string | number, op: 'add' | 'delete'): Promise<void> {
    const ha = typeof a === 'object' ? a : this.host(a);
    const hb = typeof b === 'object' ? b : this.host(b);
    const one = async (x: LabHost, peer: LabHost): Promise<void> => {
      const res = await run('nsenter', [`--net=${x.netnsPath}`, '--', 'nft', op, 'element', 'inet', PART_TABLE, 'peers', `{ ${peer.ip} }`], { check: false });
      // Deleting an absent element (healing twice) is not an error for us.
      if (res.code !== 0 && !(op === 'delete' && /No such file|does not exist/i.test(res.stderr))) throw new Error(`nft ${op} element in ${x.id}: ${res.stderr.trim()}`);
    };
    await Promise.all([one(ha, hb), one(hb, ha)]);
  }

  /** One line per host: engine up or not, dockerd pid, address. */
  async status(): Promise<Array<{ host: LabHost; netns: boolean; dockerdPid: number | undefined; answers: boolean; linkUp: boolean }>> {
    return Promise.all(
      this.hosts.map(async (h) => {
        const link = await run('ip', ['-o', 'link', 'show', h.veth], { check: false });
        return {
          host: h,
          netns: netnsInode(h.netnsPath) !== undefined,
          dockerdPid: this.dockerdPid(h),
          answers: await engineAnswers(h.socket, 1000),
          linkUp: link.code === 0 && /[<,]UP[,>]/.test(link.stdout),
        };
      }),
    );
  }

  /**
   * Removes the lab from the machine: stops the engines (gracefully first, so containerd shims
   * clean up their sockets), kills every remaining process in each host's netns, cgroup parent or
   * mentioning its exec root, lazily unmounts whatever its data and exec roots left mounted,
   * deletes netns, veths, the bridge, our iptables rules, cgroups and directories. Discovers all of
   * it from the lab's name, so it is safe twice, after a failed setup and from another process.
   */
  async teardown(): Promise<TeardownReport> {
    const l = this.#layout;
    const indexes = new Set([...this.hosts.map((h) => h.index), ...(await existingHostIndexes(l))]);
    const hosts = [...indexes].map((i) => this.hosts.find((h) => h.index === i) ?? hostOf(l, i));
    const report: TeardownReport = { killed: 0, unmounted: 0, netns: [], links: [], rules: 0 };

    const t0 = Date.now();
    // 1. Graceful engine stop, all hosts in parallel, bounded. Containers are killed first (their
    //    processes are exactly those in the host's cgroup parent): dockerd would otherwise give each
    //    one its stop timeout (10 s by default, and busybox as PID 1 ignores SIGTERM), whatever
    //    shutdown-timeout says. Their shims then exit normally and remove their sockets.
    await Promise.all(
      hosts.map(async (h) => {
        const inContainers = pidsInCgroups(cgroupDirs(h.cgroupParent));
        for (const p of inContainers) kill(p, 'SIGKILL');
        await waitGone(inContainers, 3000);
        const pid = this.dockerdPid(h);
        if (pid === undefined) return;
        kill(pid, 'SIGTERM');
        const left = await waitGone([pid], 15_000);
        for (const p of left) kill(p, 'SIGKILL');
      }),
    );
    this.#log(`teardown: engines stopped (${Date.now() - t0} ms)`);
    // 2. Everything else of each host, by netns, cgroup and exec root; repeat until nothing is left
    //    (a dying shim may briefly leave a child behind).
    for (let round = 0; round < 5; round++) {
      const victims = new Set<number>();
      for (const c of this.#children) if (c.host.netns.startsWith(`${l.name}-`)) victims.add(c.pid);
      for (const h of hosts) {
        const ino = netnsInode(h.netnsPath);
        if (ino !== undefined) for (const p of pidsInNetns(ino)) victims.add(p);
        for (const p of pidsInCgroups(cgroupDirs(h.cgroupParent))) victims.add(p);
        for (const p of pidsWithArg(h.execRoot)) victims.add(p);
        for (const p of pidsWithArg(h.dataRoot)) victims.add(p);
      }
      victims.delete(process.pid);
      const alive = [...victims].filter(pidAlive);
      if (alive.length === 0) break;
      // A shim killed this way cannot remove its socket in the machine-wide /run/containerd/s:
      // note the sockets our victims have bound there and remove them once they are dead.
      const sockets = alive.flatMap(boundShimSockets);
      for (const p of alive) kill(p, 'SIGKILL');
      report.killed += alive.length;
      await waitGone(alive, 5000);
      for (const sock of sockets) await fsp.rm(sock, { force: true });
    }
    this.#log(`teardown: processes stopped (${Date.now() - t0} ms)`);
    this.#children.clear();

    // 3. Mounts the engines left (overlay layers, shm, netns bind mounts live in the machine's mount
    //    namespace because dockerd shares it). Lazy, deepest first; a few passes for stacked mounts.
    for (let pass = 0; pass < 3; pass++) {
      const mounts = mountsUnder([l.stateDir, l.runDir]);
      if (mounts.length === 0) break;
      for (const m of mounts) {
        const r = await run('umount', ['-l', m], { check: false });
        if (r.code === 0) report.unmounted++;
      }
    }

    // 4. Network: netns (takes its eth0 and dockerd's iptables with it), veths, bridge, our rules.
    for (const h of hosts) {
      if (netnsInode(h.netnsPath) !== undefined || (await run('ip', ['netns', 'list'], { check: false })).stdout.split('\n').some((x) => x.split(' ')[0] === h.netns)) {
        await run('ip', ['netns', 'del', h.netns], { check: false });
        report.netns.push(h.netns);
      }
      const link = await run('ip', ['link', 'del', h.veth], { check: false });
      if (link.code === 0) report.links.push(h.veth);
    }
    const br = await run('ip', ['link', 'del', l.bridge], { check: false });
    if (br.code === 0) report.links.push(l.bridge);
    report.rules = await deleteTaggedRules(l.ruleTag);

    // 5. Cgroups (empty now) and directories.
    for (const h of hosts) for (const d of cgroupDirs(h.cgroupParent)) await fsp.rmdir(d).catch(() => undefined);
    await fsp.rm(l.stateDir, { recursive: true, force: true });
    await fsp.rm(l.runDir, { recursive: true, force: true });
    for (const parent of [path.dirname(l.stateDir), path.dirname(l.runDir)]) await fsp.rmdir(parent).catch(() => undefined);
    return report;
  }

  /** What of this lab (by name) is still on the machine. All empty after {@link teardown}. */
  async residue(): Promise<LabResidue> {
    return residueOf({ name: this.#layout.name, net: this.#layout.net, stateDir: this.#layout.stateDir, runDir: this.#layout.runDir });
  }
}

async function deleteTaggedRules(tag: string): Promise<number> {
  let n = 0;
  const rules = await run('iptables', ['-w', '-S', 'FORWARD'], { check: false });
  for (const line of rules.stdout.split('\n')) {
    const ours = line.includes(`"${tag}"`) || line.includes(` ${tag} `);
    if (!line.startsWith('-A FORWARD ') || !ours) continue;
    // `iptables -S` prints the rule as it was added; `-D` takes the same spec. Split respecting quotes.
    const spec = (line.slice(3).match(/"[^"]*"|\S+/g) ?? []).map((t) => t.replace(/^"(.*)"$/, '$1'));
    const r = await run('iptables', ['-w', '-D', ...spec], { check: false });
    if (r.code === 0) n++;
  }
  return n;
}

/** What is left on the machine of the lab with this config (empty lists = clean). */
export async function residueOf(cfg: LabConfig): Promise<LabResidue> {
  const l = layoutOf(cfg);
  const ns = await run('ip', ['netns', 'list'], { check: false });
  const links = await run('ip', ['-o', 'link', 'show'], { check: false });
  const rules = await run('iptables', ['-w', '-S', 'FORWARD'], { check: false });
  const linkRe = new RegExp(`^\\d+: (${l.name}(?:h\\d+|0))[@:]`);
  const cgroups: string[] = [];
  const pids = new Set<number>();
  for (let i = 1; i <= 15; i++) {
    const h = hostOf(l, i);
    cgroups.push(...cgroupDirs(h.cgroupParent));
    for (const p of pidsWithArg(h.execRoot)) pids.add(p);
  }
  const dirs: string[] = [];
  for (const d of [l.stateDir, l.runDir]) {
    try {
      statSync(d);
      dirs.push(d);
    } catch {
      /* gone */
    }
  }
  return {
    netns: ns.stdout.split('\n').map((x) => x.split(' ')[0] ?? '').filter((x) => x.startsWith(`${l.name}-`)),
    links: links.stdout.split('\n').flatMap((x) => {
      const m = linkRe.exec(x);
      return m?.[1] !== undefined ? [m[1]] : [];
    }),
    mounts: mountsUnder([l.stateDir, l.runDir]),
    pids: [...pids],
    rules: rules.stdout.split('\n').filter((x) => x.includes(` ${l.ruleTag} `) || x.includes(`"${l.ruleTag}"`)),
    cgroups,
    dirs,
  };
}

/** Tears down the lab with this config from nothing but its name (what `scripts/lab.sh down` does). */
export async function teardownLab(cfg: LabConfig = {}): Promise<TeardownReport> {
  const lab = await Lab.attach(cfg);
  return lab.teardown();
}
