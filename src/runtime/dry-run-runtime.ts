/**
 * `--dry-run` for every command, Compose's way: the command runs as usual against a runtime that
 * reads from the engine but changes nothing. Writes are accepted and forgotten, so the command's
 * own progress lines (prefixed `DRY-RUN MODE - ` by the caller) say what it would have done.
 *
 * What a later read would need to see of a swallowed write is kept only where commands read it
 * back: a created container can be inspected (running, healthy: `--wait` and dependency gates pass
 * at once), and a container stopped, started or paused is inspected in its new state (`rm -s`
 * removes what it just stopped). Everything else reads the engine as it is.
 */
import { PassThrough } from 'node:stream';
import type { RegistryAuth } from '../registry/credentials.js';
import { UserError } from '../util/errors.js';
import type { ContainerRuntime } from './runtime.js';
import type {
  BuildSpec, ContainerInfo, ContainerSpec, ContainerSummary, EndpointSpec, EngineStats, EngineVersion, EventOptions, ExecResult,
  ExecSession, HealthState, ImageInfo, ImageProgress, LabelFilter, LogLine, LogOptions, NetworkInfo, NetworkSpec, RuntimeEvent,
  TopResult, VolumeInfo, VolumeSpec,
} from './types.js';

const DRY_ID = 'dryRunId';

export class DryRunRuntime implements ContainerRuntime {
  /** Containers "created" during this run, by the id handed out (their name, as Compose does). */
  private readonly created = new Map<string, ContainerSpec>();
  /** The state a swallowed stop, start, kill or pause left a real container in. */
  private readonly states = new Map<string, Pick<ContainerInfo, 'status' | 'running' | 'paused'>>();

  constructor(private readonly engine: ContainerRuntime) {}

  get endpoint(): string {
    return this.engine.endpoint;
  }

  ping(): Promise<void> { return this.engine.ping(); }
  version(): Promise<EngineVersion> { return this.engine.version(); }

  listContainers(opts?: { all?: boolean; labels?: LabelFilter; names?: string[] }): Promise<ContainerSummary[]> { return this.engine.listContainers(opts); }
  inspectContainer(idOrName: string): Promise<ContainerInfo> {
    const spec = this.created.get(idOrName);
    if (spec) return Promise.resolve(imagined(spec));
    return this.engine.inspectContainer(idOrName).then((info) => ({ ...info, ...(this.states.get(info.id) ?? this.states.get(idOrName)) }));
  }
  createContainer(spec: ContainerSpec): Promise<string> {
    this.created.set(spec.name, spec);
    return Promise.resolve(spec.name);
  }
  startContainer(id: string): Promise<void> { return this.now(id, 'running'); }
  stopContainer(id: string): Promise<void> { return this.now(id, 'exited'); }
  restartContainer(id: string): Promise<void> { return this.now(id, 'running'); }
  killContainer(id: string): Promise<void> { return this.now(id, 'exited'); }
  pauseContainer(id: string): Promise<void> { return this.now(id, 'paused'); }
  unpauseContainer(id: string): Promise<void> { return this.now(id, 'running'); }
  removeContainer(): Promise<void> { return done(); }
  renameContainer(): Promise<void> { return done(); }
  waitContainer(): Promise<number> { return Promise.resolve(0); }
  topContainer(id: string, psArgs?: string): Promise<TopResult> { return this.engine.topContainer(id, psArgs); }
  health(id: string): Promise<HealthState | undefined> {
    return this.created.has(id) ? Promise.resolve({ status: 'healthy', failingStreak: 0 }) : this.engine.health(id);
  }
  logs(id: string, opts?: LogOptions): AsyncIterable<LogLine> {
    return this.created.has(id) ? nothing<LogLine>() : this.engine.logs(id, opts);
  }
  attach(): Promise<ExecSession> {
    return Promise.reject(new UserError('interactive run is not supported in dry-run mode', { code: 'invalid', hint: 'run it with -d, or without --dry-run' }));
  }
  /** A read; what a command would write locally from it is the command's to skip (cp does). */
  getArchive(id: string, path: string): Promise<NodeJS.ReadableStream> { return this.engine.getArchive(id, path); }
  putArchive(): Promise<void> { return done(); }
  resizeContainer(): Promise<void> { return done(); }
  commitContainer(): Promise<string> { return Promise.resolve(DRY_ID); }
  exportContainer(id: string): Promise<NodeJS.ReadableStream> { return this.engine.exportContainer(id); }
  stats(id: string, opts: { stream: boolean; signal?: AbortSignal }): AsyncIterable<EngineStats> { return this.engine.stats(id, opts); }

  exec(): Promise<ExecResult> { return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' }); }
  execStream(): Promise<ExecSession> { return Promise.resolve(silentSession()); }

  listNetworks(opts?: { labels?: LabelFilter; names?: string[] }): Promise<NetworkInfo[]> { return this.engine.listNetworks(opts); }
  inspectNetwork(idOrName: string): Promise<NetworkInfo> { return this.engine.inspectNetwork(idOrName); }
  createNetwork(spec: NetworkSpec): Promise<string> { return Promise.resolve(spec.name); }
  removeNetwork(): Promise<void> { return done(); }
  connectNetwork(_network: string, _container: string, _endpoint?: EndpointSpec): Promise<void> { return done(); }
  disconnectNetwork(): Promise<void> { return done(); }

  listVolumes(opts?: { labels?: LabelFilter }): Promise<VolumeInfo[]> { return this.engine.listVolumes(opts); }
  inspectVolume(name: string): Promise<VolumeInfo> { return this.engine.inspectVolume(name); }
  createVolume(spec: VolumeSpec): Promise<VolumeInfo> {
    return Promise.resolve({ name: spec.name, driver: spec.driver ?? 'local', labels: spec.labels ?? {}, mountpoint: '' });
  }
  removeVolume(): Promise<void> { return done(); }

  listImages(opts?: { labels?: LabelFilter; reference?: string }): Promise<ImageInfo[]> { return this.engine.listImages(opts); }
  inspectImage(ref: string): Promise<ImageInfo> { return this.engine.inspectImage(ref); }
  pullImage(_ref: string, _onProgress?: (p: ImageProgress) => void, _auth?: RegistryAuth): Promise<void> { return done(); }
  pushImage(_ref: string, _onProgress?: (p: ImageProgress) => void, _auth?: RegistryAuth): Promise<void> { return done(); }
  resolveDigest(ref: string, auth?: RegistryAuth): Promise<string> { return this.engine.resolveDigest(ref, auth); }
  buildImage(_spec: BuildSpec, _onProgress?: (p: ImageProgress) => void): Promise<string> { return Promise.resolve(DRY_ID); }
  removeImage(): Promise<void> { return done(); }
  tagImage(): Promise<void> { return done(); }

  events(opts?: EventOptions): AsyncIterable<RuntimeEvent> { return this.engine.events(opts); }

  private now(id: string, status: 'running' | 'exited' | 'paused'): Promise<void> {
    this.states.set(id, { status, running: status !== 'exited', paused: status === 'paused' });
    return done();
  }
}

function done(): Promise<void> {
  return Promise.resolve();
}

async function* nothing<T>(): AsyncIterable<T> {
  // An empty stream: a created-but-imaginary container has printed nothing.
}

function silentSession(): ExecSession {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.end();
  stderr.end();
  return { stdout, stderr, stdin: new PassThrough(), resize: done, wait: () => Promise.resolve(0) };
}

/** A container that would exist had the create gone through: running and healthy, as Compose says. */
function imagined(spec: ContainerSpec): ContainerInfo {
  return {
    id: spec.name, name: spec.name, image: spec.image, imageId: DRY_ID, labels: spec.labels, status: 'running', running: true, paused: false,
    restarting: false, exitCode: 0, oomKilled: false, pid: 0, createdAt: new Date(0).toISOString(), health: { status: 'healthy', failingStreak: 0 },
    restartCount: 0, tty: spec.tty ?? false, networks: {}, ports: [], mounts: [],
  };
}
