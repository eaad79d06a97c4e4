import type {
  BuildSpec,
  CommitSpec,
  ContainerInfo,
  ContainerSpec,
  ContainerSummary,
  EndpointSpec,
  EngineStats,
  EngineVersion,
  EventOptions,
  ExecResult,
  ExecSession,
  ExecSpec,
  HealthState,
  ImageInfo,
  ImageProgress,
  LabelFilter,
  LogLine,
  LogOptions,
  NetworkInfo,
  NetworkSpec,
  RuntimeEvent,
  TopResult,
  VolumeInfo,
  VolumeSpec,
} from './types.js';
import type { RegistryAuth } from '../registry/credentials.js';

/**
 * The one seam between tscompose/tsswarm and a container engine. Each method is one engine call
 * (or one streamed call), so callers can plan work as a graph of calls. Failures are
 * {@link RuntimeError}s (see errors.ts): unreachable, not-found, conflict, port-allocated, failed.
 */
export interface ContainerRuntime {
  /** A short description of where this runtime connects ("unix:///var/run/docker.sock"). */
  readonly endpoint: string;

  ping(): Promise<void>;
  version(): Promise<EngineVersion>;

  // containers
  listContainers(opts?: { all?: boolean; labels?: LabelFilter; names?: string[] }): Promise<ContainerSummary[]>;
  inspectContainer(idOrName: string): Promise<ContainerInfo>;
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** timeout in seconds; the engine sends the stop signal, then SIGKILL after the timeout. */
  stopContainer(id: string, opts?: { timeout?: number }): Promise<void>;
  restartContainer(id: string, opts?: { timeout?: number }): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  removeContainer(id: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  /** Waits for the container to stop; resolves with its exit code. */
  waitContainer(id: string, opts?: { condition?: 'not-running' | 'next-exit' | 'removed'; signal?: AbortSignal }): Promise<number>;
  topContainer(id: string, psArgs?: string): Promise<TopResult>;
  health(id: string): Promise<HealthState | undefined>;
  logs(id: string, opts?: LogOptions): AsyncIterable<LogLine>;
  /** Attaches to a running container's stdio (for `run` in the foreground). */
  attach(id: string, opts: { stdin: boolean; tty: boolean; detachKeys?: string }): Promise<ExecSession>;
  /** A tar stream of the path. */
  getArchive(id: string, path: string): Promise<NodeJS.ReadableStream>;
  /** Extracts a tar stream into the directory at path; copyUidGid gives the files to the container's user. */
  putArchive(id: string, path: string, tar: NodeJS.ReadableStream | Buffer, opts?: { copyUidGid?: boolean }): Promise<void>;
  resizeContainer(id: string, rows: number, cols: number): Promise<void>;
  /** Makes an image of the container's filesystem and config; resolves with the image id. */
  commitContainer(id: string, spec?: CommitSpec): Promise<string>;
  /** The container's whole filesystem as a tar stream (streamed: only the headers are timed). */
  exportContainer(id: string): Promise<NodeJS.ReadableStream>;
  /**
   * Resource usage samples. `stream: false` yields one sample whose precpu_stats the engine filled
   * (so CPU % can be computed from it); `stream: true` yields one about every second until `signal`
   * aborts or the container stops.
   */
  stats(id: string, opts: { stream: boolean; signal?: AbortSignal }): AsyncIterable<EngineStats>;

  // exec
  /** Runs a command to completion and collects its output. */
  exec(id: string, spec: ExecSpec): Promise<ExecResult>;
  /** Starts a command with live streams (for interactive exec). */
  execStream(id: string, spec: ExecSpec): Promise<ExecSession>;

  // networks
  listNetworks(opts?: { labels?: LabelFilter; names?: string[] }): Promise<NetworkInfo[]>;
  inspectNetwork(idOrName: string): Promise<NetworkInfo>;
  createNetwork(spec: NetworkSpec): Promise<string>;
  removeNetwork(idOrName: string): Promise<void>;
  connectNetwork(network: string, container: string, endpoint?: EndpointSpec): Promise<void>;
  disconnectNetwork(network: string, container: string, opts?: { force?: boolean }): Promise<void>;

  // volumes
  listVolumes(opts?: { labels?: LabelFilter }): Promise<VolumeInfo[]>;
  inspectVolume(name: string): Promise<VolumeInfo>;
  createVolume(spec: VolumeSpec): Promise<VolumeInfo>;
  removeVolume(name: string, opts?: { force?: boolean }): Promise<void>;

  // images
  listImages(opts?: { labels?: LabelFilter; reference?: string }): Promise<ImageInfo[]>;
  inspectImage(ref: string): Promise<ImageInfo>;
  /**
   * Pulls `ref` (`name[:tag][@digest]`, tag `latest` by default) with `auth` sent to its registry.
   * The engine reports most failures inside the progress stream; they are thrown as RuntimeErrors
   * whose `engineMessage` is the engine's own words (for describeRegistryError).
   */
  pullImage(ref: string, onProgress?: (p: ImageProgress) => void, auth?: RegistryAuth): Promise<void>;
  /** Pushes the local image `ref` (`name[:tag]`, tag `latest` by default, never every tag) to its registry. */
  pushImage(ref: string, onProgress?: (p: ImageProgress) => void, auth?: RegistryAuth): Promise<void>;
  /** The digest (`sha256:...`) the registry serves for `ref` now, without pulling it. */
  resolveDigest(ref: string, auth?: RegistryAuth): Promise<string>;
  /** Builds from a local context; resolves with the image id. */
  buildImage(spec: BuildSpec, onProgress?: (p: ImageProgress) => void): Promise<string>;
  removeImage(ref: string, opts?: { force?: boolean }): Promise<void>;
  tagImage(ref: string, repo: string, tag: string): Promise<void>;

  // events
  events(opts?: EventOptions): AsyncIterable<RuntimeEvent>;
}
