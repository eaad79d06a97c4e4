/**
 * FakeRuntime: a ContainerRuntime held in memory, for unit tests of code that drives the runtime
 * (the plan executor first). It is a fake, not a model of Docker: it keeps containers, networks,
 * volumes and images as plain records, answers the calls the executor and the depends_on waits
 * make, and records every call. What it stands for is tested on the real engine too (see
 * test/integration/compose-*.test.ts); a behaviour only this fake shows proves nothing about Docker.
 *
 * Tests steer it with:
 * - `fail(method, error, match?)`: the next matching call throws `error` (once);
 * - `hold(method, target)`: matching calls wait until the returned `release()` (to see parallelism);
 * - `setHealth` / `exit`: what a later inspect reports (for health and completion gates);
 * - `onExec`: the result of an exec (lifecycle hooks).
 * Calls the executor never makes throw a `not modelled` error, so a test cannot lean on them.
 */
import { randomBytes } from 'node:crypto';
import type { ContainerRuntime } from '../../src/runtime/runtime.js';
import { RuntimeError } from '../../src/runtime/errors.js';
import type {
  ContainerInfo,
  ContainerSpec,
  ContainerStatus,
  ContainerSummary,
  EngineStats,
  EngineVersion,
  ExecResult,
  ExecSession,
  ExecSpec,
  HealthState,
  ImageInfo,
  LabelFilter,
  LogLine,
  NetworkInfo,
  NetworkSpec,
  RuntimeEvent,
  TopResult,
  VolumeInfo,
  VolumeSpec,
} from '../../src/runtime/types.js';

/** One recorded call: the method and its first argument (the container, network, volume or spec name). */
export interface FakeCall {
  method: string;
  target: string;
  /** Calls in flight when this one started, itself included. */
  inFlight: number;
}

interface FakeContainer {
  id: string;
  spec: ContainerSpec;
  status: ContainerStatus;
  exitCode: number;
  createdAt: string;
  startedAt?: string;
  health?: HealthState;
  files: string[];
}

type Matcher = (target: string) => boolean;

export class FakeRuntime implements ContainerRuntime {
  readonly endpoint = 'fake://memory';
  readonly calls: FakeCall[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Map<string, NetworkInfo>();
  readonly volumes = new Map<string, VolumeInfo>();
  readonly images = new Map<string, ImageInfo>();
  /** The most calls that were in flight at once. */
  peakInFlight = 0;
  private inFlight = 0;
  private readonly failures: Array<{ method: string; match: Matcher; error: Error }> = [];
  private readonly holds: Array<{ method: string; match: Matcher; released: Promise<void> }> = [];
  private execHandler: (container: string, spec: ExecSpec) => ExecResult = () => ({ exitCode: 0, stdout: '', stderr: '' });

  // ---- steering

  /** The next call of `method` whose target matches throws `error` (once). */
  fail(method: keyof ContainerRuntime, error: Error, match: string | Matcher = () => true): this {
    this.failures.push({ method, match: typeof match === 'string' ? (t) => t === match : match, error });
    return this;
  }

  /** Calls of `method` on `target` wait until `release()`; `started` resolves when the first one is waiting. */
  hold(method: keyof ContainerRuntime, target: string): { release: () => void; started: Promise<void> } {
    let release!: () => void;
    let started!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const startedP = new Promise<void>((r) => (started = r));
    this.holds.push({ method, match: (t) => { if (t === target) started(); return t === target; }, released });
    return { release, started: startedP };
  }

  setHealth(name: string, status: HealthState['status'], lastOutput?: string): void {
    const c = this.container(name);
    c.health = { status, failingStreak: status === 'unhealthy' ? 3 : 0, ...(lastOutput !== undefined ? { lastOutput, lastExitCode: 1 } : {}) };
  }

  /** The container's process ends with `code`. */
  exit(name: string, code: number): void {
    const c = this.container(name);
    c.status = 'exited';
    c.exitCode = code;
  }

  onExec(handler: (container: string, spec: ExecSpec) => ExecResult): this {
    this.execHandler = handler;
    return this;
  }

  /** `method target` for every recorded call, in call order, optionally only these methods. */
  trace(...methods: string[]): string[] {
    return this.calls.filter((c) => !methods.length || methods.includes(c.method)).map((c) => `${c.method} ${c.target}`);
  }

  // ---- the runtime

  async ping(): Promise<void> {
    await this.call('ping', '');
  }

  async version(): Promise<EngineVersion> {
    await this.call('version', '');
    return { version: 'fake', apiVersion: '1.41', os: 'linux', arch: 'amd64' };
  }

  async listContainers(opts: { all?: boolean; labels?: LabelFilter; names?: string[] } = {}): Promise<ContainerSummary[]> {
    await this.call('listContainers', '');
    return [...this.containers.values()]
      .filter((c) => (opts.all || c.status === 'running') && matchesLabels(c.spec.labels, opts.labels) && (!opts.names || opts.names.includes(c.spec.name)))
      .map((c) => ({
        id: c.id, name: c.spec.name, image: c.spec.image, imageId: c.spec.image, command: (c.spec.cmd ?? []).join(' '), labels: c.spec.labels,
        status: c.status, statusText: c.status, created: 0, ports: [], networks: Object.keys(c.spec.networks ?? {}), mounts: [],
      }));
  }

  async inspectContainer(idOrName: string): Promise<ContainerInfo> {
    await this.call('inspectContainer', idOrName);
    const c = this.container(idOrName);
    return {
      id: c.id, name: c.spec.name, image: c.spec.image, imageId: c.spec.image, labels: c.spec.labels, status: c.status,
      running: c.status === 'running', paused: c.status === 'paused', restarting: c.status === 'restarting', exitCode: c.exitCode,
      oomKilled: false, pid: c.status === 'running' ? 1 : 0, createdAt: c.createdAt, ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.health ? { health: c.health } : {}), restartCount: 0, tty: false, networks: {}, ports: [], mounts: [],
    };
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    await this.call('createContainer', spec.name);
    if (this.containers.has(spec.name)) throw new RuntimeError('conflict', `create container ${spec.name}: name already in use`);
    const id = randomBytes(32).toString('hex');
    this.containers.set(spec.name, { id, spec, status: 'created', exitCode: 0, createdAt: new Date().toISOString(), files: [] });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call('startContainer', id);
    const c = this.container(id);
    c.status = 'running';
    c.startedAt = new Date().toISOString();
    // A container with a healthcheck starts unknown to it, as the engine's do.
    if (c.spec.healthcheck && !c.health) c.health = { status: 'starting', failingStreak: 0 };
  }

  async stopContainer(id: string): Promise<void> {
    await this.call('stopContainer', id);
    this.container(id).status = 'exited';
  }

  async restartContainer(id: string): Promise<void> {
    await this.call('restartContainer', id);
    const c = this.container(id);
    c.status = 'running';
    c.startedAt = new Date().toISOString();
  }

  async killContainer(id: string): Promise<void> {
    await this.call('killContainer', id);
    const c = this.container(id);
    c.status = 'exited';
    c.exitCode = 137;
  }

  async removeContainer(id: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.call('removeContainer', id);
    const c = this.container(id);
    if (c.status === 'running' && !opts.force) throw new RuntimeError('conflict', `remove container ${id}: container is running`);
    this.containers.delete(c.spec.name);
  }

  async putArchive(id: string, path: string): Promise<void> {
    await this.call('putArchive', id);
    this.container(id).files.push(path);
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    await this.call('exec', id);
    const c = this.container(id);
    if (c.status !== 'running') throw new RuntimeError('conflict', `exec in ${id}: container is not running`);
    return this.execHandler(c.spec.name, spec);
  }

  async listNetworks(opts: { labels?: LabelFilter; names?: string[] } = {}): Promise<NetworkInfo[]> {
    await this.call('listNetworks', '');
    return [...this.networks.values()].filter((n) => matchesLabels(n.labels, opts.labels) && (!opts.names || opts.names.includes(n.name)));
  }

  async inspectNetwork(idOrName: string): Promise<NetworkInfo> {
    await this.call('inspectNetwork', idOrName);
    const n = this.network('inspect', idOrName);
    const containers = [...this.containers.values()].filter((c) => Object.keys(c.spec.networks ?? {}).includes(n.name)).map((c) => c.id);
    return { ...n, containers };
  }

  async createNetwork(spec: NetworkSpec): Promise<string> {
    await this.call('createNetwork', spec.name);
    if (this.networks.has(spec.name)) throw new RuntimeError('conflict', `create network ${spec.name}: network with name ${spec.name} already exists`);
    const id = randomBytes(32).toString('hex');
    this.networks.set(spec.name, {
      id, name: spec.name, driver: spec.driver ?? 'bridge', scope: 'local', labels: spec.labels ?? {}, internal: !!spec.internal,
      attachable: !!spec.attachable, subnets: [], containers: [],
    });
    return id;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.call('removeNetwork', idOrName);
    const n = this.network('remove', idOrName);
    this.networks.delete(n.name);
  }

  async disconnectNetwork(network: string, container: string): Promise<void> {
    await this.call('disconnectNetwork', `${network} ${container}`);
  }

  async listVolumes(opts: { labels?: LabelFilter } = {}): Promise<VolumeInfo[]> {
    await this.call('listVolumes', '');
    return [...this.volumes.values()].filter((v) => matchesLabels(v.labels, opts.labels));
  }

  async inspectVolume(name: string): Promise<VolumeInfo> {
    await this.call('inspectVolume', name);
    const v = this.volumes.get(name);
    if (!v) throw new RuntimeError('not-found', `inspect volume ${name}: no such volume`);
    return v;
  }

  async createVolume(spec: VolumeSpec): Promise<VolumeInfo> {
    await this.call('createVolume', spec.name);
    const v: VolumeInfo = { name: spec.name, driver: spec.driver ?? 'local', labels: spec.labels ?? {}, mountpoint: `/fake/volumes/${spec.name}` };
    this.volumes.set(spec.name, v);
    return v;
  }

  async removeVolume(name: string): Promise<void> {
    await this.call('removeVolume', name);
    if (!this.volumes.delete(name)) throw new RuntimeError('not-found', `remove volume ${name}: get ${name}: no such volume`);
  }

  async listImages(): Promise<ImageInfo[]> {
    await this.call('listImages', '');
    return [...this.images.values()];
  }

  async inspectImage(ref: string): Promise<ImageInfo> {
    await this.call('inspectImage', ref);
    const i = this.images.get(ref);
    if (!i) throw new RuntimeError('not-found', `inspect image ${ref}: no such image`);
    return i;
  }

  async removeImage(ref: string): Promise<void> {
    await this.call('removeImage', ref);
    if (!this.images.delete(ref)) throw new RuntimeError('not-found', `remove image ${ref}: no such image`);
  }

  // ---- not modelled: the executor never makes these calls

  pauseContainer(): Promise<void> { return notModelled('pauseContainer'); }
  unpauseContainer(): Promise<void> { return notModelled('unpauseContainer'); }
  renameContainer(): Promise<void> { return notModelled('renameContainer'); }
  waitContainer(): Promise<number> { return notModelled('waitContainer'); }
  topContainer(): Promise<TopResult> { return notModelled('topContainer'); }
  health(): Promise<HealthState | undefined> { return notModelled('health'); }
  logs(): AsyncIterable<LogLine> { return notModelledStream('logs'); }
  attach(): Promise<ExecSession> { return notModelled('attach'); }
  getArchive(): Promise<NodeJS.ReadableStream> { return notModelled('getArchive'); }
  resizeContainer(): Promise<void> { return notModelled('resizeContainer'); }
  commitContainer(): Promise<string> { return notModelled('commitContainer'); }
  exportContainer(): Promise<NodeJS.ReadableStream> { return notModelled('exportContainer'); }
  stats(): AsyncIterable<EngineStats> { return notModelledStream('stats'); }
  execStream(): Promise<ExecSession> { return notModelled('execStream'); }
  connectNetwork(): Promise<void> { return notModelled('connectNetwork'); }
  pullImage(): Promise<void> { return notModelled('pullImage'); }
  pushImage(): Promise<void> { return notModelled('pushImage'); }
  resolveDigest(): Promise<string> { return notModelled('resolveDigest'); }
  buildImage(): Promise<string> { return notModelled('buildImage'); }
  tagImage(): Promise<void> { return notModelled('tagImage'); }
  events(): AsyncIterable<RuntimeEvent> { return notModelledStream('events'); }

  // ---- internals

  /** Records the call, applies a scheduled failure or hold, and yields once so calls interleave as real I/O does. */
  private async call(method: string, target: string): Promise<void> {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    this.calls.push({ method, target, inFlight: this.inFlight });
    try {
      await new Promise<void>((r) => setImmediate(r));
      const held = this.holds.find((h) => h.method === method && h.match(target));
      if (held) await held.released;
      const i = this.failures.findIndex((f) => f.method === method && f.match(target));
      if (i >= 0) throw this.failures.splice(i, 1)[0]!.error;
    } finally {
      this.inFlight--;
    }
  }

  private network(verb: string, idOrName: string): NetworkInfo {
    const n = [...this.networks.values()].find((x) => x.name === idOrName || x.id === idOrName);
    if (!n) throw new RuntimeError('not-found', `${verb} network ${idOrName}: no such network`);
    return n;
  }

  private container(idOrName: string): FakeContainer {
    const c = this.containers.get(idOrName) ?? [...this.containers.values()].find((x) => x.id === idOrName);
    if (!c) throw new RuntimeError('not-found', `no such container: ${idOrName}`);
    return c;
  }
}

function matchesLabels(labels: Record<string, string>, filter: LabelFilter | undefined): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([k, v]) => (v === true ? k in labels : labels[k] === v));
}

function notModelled(method: string): Promise<never> {
  return Promise.reject(new Error(`FakeRuntime: ${method} is not modelled (the executor does not call it)`));
}

function notModelledStream<T>(method: string): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => notModelled(method) }),
  };
}
