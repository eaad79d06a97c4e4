/**
 * The runtime core's own vocabulary: what callers ask an engine to do and what they get back.
 * Engine API shapes (dockerode's PascalCase JSON) never leave src/runtime/docker; everything here is
 * plain data, so planners and the swarm agent can be tested without an engine. No compose concepts:
 * a container is a name, an image, labels and host settings; projects and services are labels
 * chosen by the caller.
 */

/** Label selector: key only (`key`) or key=value. */
export type LabelFilter = Record<string, string | true>;

export interface PortBinding {
  /** Container port. */
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  /** Host IP; absent = all interfaces. */
  hostIp?: string;
  /** Host port (or "a-b" range); absent = ephemeral. */
  hostPort?: string;
}

export interface MountSpec {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind) or volume name; absent for anonymous volumes and tmpfs. */
  source?: string;
  target: string;
  readOnly?: boolean;
  /** bind: create the host path when missing (the engine's legacy Binds behaviour). */
  createHostPath?: boolean;
  bindPropagation?: string;
  volumeNoCopy?: boolean;
  /** volume: labels for a volume the engine creates for this mount (an anonymous one). */
  volumeLabels?: Record<string, string>;
  tmpfsSize?: number;
  tmpfsMode?: number;
}

export interface HealthcheckSpec {
  /** ["NONE"] | ["CMD", ...] | ["CMD-SHELL", cmd]. */
  test: string[];
  /** Nanoseconds, as the engine takes them. */
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
}

export interface EndpointSpec {
  aliases?: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  macAddress?: string;
}

export interface RestartPolicy {
  name: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  maximumRetryCount?: number;
}

/** Everything needed to create one container. */
export interface ContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  user?: string;
  workingDir?: string;
  hostname?: string;
  domainname?: string;
  tty?: boolean;
  openStdin?: boolean;
  attachStdin?: boolean;
  exposedPorts?: string[];
  stopSignal?: string;
  /** Seconds. */
  stopTimeout?: number;
  healthcheck?: HealthcheckSpec;
  macAddress?: string;
  // host settings
  ports?: PortBinding[];
  mounts?: MountSpec[];
  volumesFrom?: string[];
  /** "bridge", "host", "none", "container:<id>", or a network name. */
  networkMode?: string;
  /** Networks to join at create time; the first also becomes networkMode when none is given. */
  networks?: Record<string, EndpointSpec>;
  restartPolicy?: RestartPolicy;
  memory?: number;
  memoryReservation?: number;
  memorySwap?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  /** Microseconds. */
  cpuRealtimePeriod?: number;
  cpuRealtimeRuntime?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
  ulimits?: Array<{ name: string; soft: number; hard: number }>;
  capAdd?: string[];
  capDrop?: string[];
  securityOpt?: string[];
  init?: boolean;
  /** "host:ip" entries. */
  extraHosts?: string[];
  dns?: string[];
  dnsOptions?: string[];
  dnsSearch?: string[];
  logConfig?: { type: string; config?: Record<string, string> };
  readOnlyRootfs?: boolean;
  /** The engine removes the container (and its anonymous volumes) when it exits. */
  autoRemove?: boolean;
  /** target -> options ("size=64m"). */
  tmpfs?: Record<string, string>;
  sysctls?: Record<string, string>;
  privileged?: boolean;
  devices?: Array<{ pathOnHost: string; pathInContainer: string; cgroupPermissions: string }>;
  pidMode?: string;
  ipcMode?: string;
  utsMode?: string;
  usernsMode?: string;
  shmSize?: number;
  groupAdd?: string[];
  cgroupParent?: string;
  oomScoreAdj?: number;
  runtime?: string;
  platform?: string;
}

export type ContainerStatus = 'created' | 'restarting' | 'running' | 'removing' | 'paused' | 'exited' | 'dead';
export type HealthStatus = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  /** Output and exit code of the last probe, when one ran. */
  lastOutput?: string;
  lastExitCode?: number;
}

export interface PublishedPort {
  containerPort: number;
  protocol: string;
  hostIp?: string;
  hostPort?: number;
}

/** A container as listed (cheap: one call for all). */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  imageId: string;
  command: string;
  labels: Record<string, string>;
  status: ContainerStatus;
  /** Human text from the engine ("Up 3 seconds (healthy)"). */
  statusText: string;
  /** Unix seconds. */
  created: number;
  ports: PublishedPort[];
  networks: string[];
  /** Mounts as the list call reports them: volume mounts carry the volume's name. */
  mounts?: Array<{ type: string; name?: string; target: string }>;
}

/** A container as inspected (one call per container). */
export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  imageId: string;
  labels: Record<string, string>;
  status: ContainerStatus;
  running: boolean;
  paused: boolean;
  restarting: boolean;
  exitCode: number;
  oomKilled: boolean;
  error?: string;
  pid: number;
  /** ISO timestamps; absent when never started/finished. */
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  health?: HealthState;
  restartCount: number;
  tty: boolean;
  networks: Record<string, { ipAddress?: string; aliases: string[]; networkId: string }>;
  ports: PublishedPort[];
  mounts: Array<{ type: string; source?: string; name?: string; target: string; readOnly: boolean }>;
}

export interface NetworkSpec {
  name: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels?: Record<string, string>;
  internal?: boolean;
  attachable?: boolean;
  enableIpv6?: boolean;
  ipam?: {
    driver?: string;
    config?: Array<{ subnet?: string; ipRange?: string; gateway?: string; auxAddresses?: Record<string, string> }>;
    options?: Record<string, string>;
  };
}

export interface NetworkInfo {
  id: string;
  name: string;
  driver: string;
  scope: string;
  labels: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  subnets: string[];
  /** Driver options as the engine stores them. */
  options?: Record<string, string>;
  enableIpv6?: boolean;
  ipam?: {
    driver: string;
    config: Array<{ subnet?: string; ipRange?: string; gateway?: string; auxAddresses?: Record<string, string> }>;
    options: Record<string, string>;
  };
  /** Container ids attached (inspect only; empty from list). */
  containers: string[];
  /** The attached containers' endpoints (inspect only): name, IPv4 address without its prefix, endpoint id (new after a restart). */
  endpoints?: Array<{ containerId: string; name: string; endpointId: string; ipv4Address: string | null }>;
}

export interface VolumeSpec {
  name: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface VolumeInfo {
  name: string;
  driver: string;
  labels: Record<string, string>;
  mountpoint: string;
}

export interface ImageInfo {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  /** Unix seconds. */
  created: number;
  size: number;
  /** Paths the image declares as VOLUME (inspect only). */
  volumes?: string[];
  /** When the engine last tagged it (a pull or a tag), epoch ms (inspect only; pull_policy daily). */
  lastTagTime?: number;
  /** `name@sha256:...` of each registry it was pulled from or pushed to (inspect only); none: built or loaded here. */
  repoDigests?: string[];
}

export interface BuildSpec {
  /** Absolute directory streamed to the engine as the build context. */
  context: string;
  dockerfile?: string;
  /** Dockerfile content given inline; written into the streamed context. */
  dockerfileInline?: string;
  tags: string[];
  args?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  cacheFrom?: string[];
  noCache?: boolean;
  pull?: boolean;
  network?: string;
  extraHosts?: string[];
  shmSize?: number;
}

/** One line of progress from a pull or build. */
/** One line of the engine's JSON progress stream (build, pull, push). */
export interface ImageProgress {
  /** Layer id (pull, push), or the tag for a pull's first line. */
  id?: string;
  status?: string;
  stream?: string;
  /** The engine's own progress bar text. */
  progress?: string;
  /** Bytes done and expected; `{}` on phase lines (Pulling fs layer, Pushed). */
  progressDetail?: { current?: number; total?: number };
  /** Extra results: a build's image ID, a push's Tag/Digest/Size. */
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

export interface LogOptions {
  follow?: boolean;
  /** Lines from the end, or "all". */
  tail?: number | 'all';
  /** Unix seconds. */
  since?: number;
  until?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** Line text without the trailing newline (timestamp prefix kept when requested). */
  text: string;
}

export interface ExecSpec {
  cmd: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  tty?: boolean;
  privileged?: boolean;
  /** Attach stdin: the caller writes to the returned stream. */
  stdin?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A live exec or attach session. */
export interface ExecSession {
  /** Multiplexed output is already split; with a TTY everything arrives on stdout. */
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  stdin?: NodeJS.WritableStream;
  resize(rows: number, cols: number): Promise<void>;
  /** Resolves with the exit code once the process has ended. */
  wait(): Promise<number>;
}

export interface RuntimeEvent {
  type: string;
  action: string;
  id: string;
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch. */
  timeNano: number;
}

export interface EventOptions {
  since?: number;
  until?: number;
  labels?: LabelFilter;
  types?: string[];
  signal?: AbortSignal;
}

export interface EngineVersion {
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
}

export interface TopResult {
  titles: string[];
  processes: string[][];
}

/** What `commit` records on the new image (the engine's POST /commit query). */
export interface CommitSpec {
  /** Repository (`[HOST[:PORT]/]PATH`) to tag the image with; none leaves it untagged. */
  repo?: string;
  tag?: string;
  author?: string;
  comment?: string;
  /** Dockerfile instructions applied to the image config (`ENV A=1`, `CMD ["sh"]`, ...). */
  changes?: string[];
  /** Pause the container while its filesystem is read (the engine's default is true). */
  pause?: boolean;
}

/**
 * One sample of GET /containers/{id}/stats as the engine sends it (Linux fields only, in its own
 * names), so the pure computation in engine/ops/stats-row.ts can be tested on recorded JSON.
 */
export interface EngineStats {
  read?: string;
  name?: string;
  id?: string;
  pids_stats?: { current?: number; limit?: number };
  cpu_stats?: EngineCpuStats;
  precpu_stats?: EngineCpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  blkio_stats?: { io_service_bytes_recursive?: Array<{ major?: number; minor?: number; op: string; value: number }> | null };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

export interface EngineCpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}
