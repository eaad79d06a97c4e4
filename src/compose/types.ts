/**
 * The canonical, normalized compose Project: what the loader hands to the engine and to tsswarm.
 *
 * Every value here is in its single long form, whatever the user wrote:
 * - durations are integer NANOSECONDS (the unit the Docker API takes for healthchecks and
 *   stop_grace_period, so the engine passes them through untouched); `config` renders them back as
 *   Go-style strings (`1m30s`);
 * - byte sizes (mem_limit, shm_size, tmpfs size, ...) are integer BYTES;
 * - host paths (bind sources, build contexts, env_file, secret/config files) are ABSOLUTE;
 * - ports, volumes, depends_on, secrets, configs, networks, build are long syntax;
 * - environment maps hold `null` for a variable that is declared but unset (Compose keeps it so the
 *   container inherits nothing rather than an empty string).
 * Optional fields are absent (not undefined-valued) when the user did not set them.
 */

/** Durations in nanoseconds. */
export type Nanoseconds = number;
/** Sizes in bytes. */
export type Bytes = number;

export interface Project {
  /** Normalized project name (lowercase, [a-z0-9_-], starting with a letter or digit). */
  name: string;
  /** Absolute project directory; relative paths in the files were resolved against it. */
  workingDir: string;
  /** Absolute paths of the files read, in merge order (`-` for stdin). */
  configFiles: string[];
  services: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, SecretConfig>;
  configs: Record<string, ConfigObjConfig>;
  /** Top-level `models` (Docker Model Runner), kept as written: shown by `config`, not run. */
  models?: Record<string, Record<string, unknown>>;
  /** Profiles that were enabled (from --profile / COMPOSE_PROFILES). */
  profiles: string[];
  /** Services declared in the files but inactive because none of their profiles is enabled. */
  disabledServices: Record<string, ServiceConfig>;
  /** The environment used for interpolation (shell over --env-file/.env). */
  environment: Record<string, string>;
  /** Top-level x- extension fields, kept verbatim. */
  extensions: Record<string, unknown>;
  /** Non-fatal notices for the user (unset variables, obsolete `version`); commands print them to stderr. */
  warnings?: string[];
}

export type DependsOnCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependsOnConfig {
  condition: DependsOnCondition;
  /** false: a missing/failed dependency only warns. Default true. */
  required: boolean;
  /** Restart this service when the dependency is restarted/updated. Default false. */
  restart: boolean;
}

export interface ServicePortConfig {
  /** Container port. */
  target: number;
  /** Host port or range ("8080", "8080-8090"); absent = ephemeral. */
  published?: string;
  /** Host IP to bind; absent = all interfaces. */
  host_ip?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  /** "ingress" (swarm routing mesh) or "host". Compose default "ingress". */
  mode: 'ingress' | 'host';
  app_protocol?: string;
  name?: string;
  /** `x-` keys of a long-syntax entry (tsswarm reads `x-snat`); absent when there are none. */
  extensions?: Record<string, unknown>;
}

export type ServiceVolumeType = 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'cluster' | 'image';

export interface ServiceVolumeConfig {
  type: ServiceVolumeType;
  /** Named volume name, absolute host path (bind), image ref; absent for anonymous volumes/tmpfs. */
  source?: string;
  /** Absolute container path. */
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: 'z' | 'Z'; recursive?: string };
  /** `labels`: kept and shown by `config`; not yet given to the engine for the volume a mount creates. */
  volume?: { nocopy?: boolean; subpath?: string; labels?: Record<string, string> };
  tmpfs?: { size?: Bytes; mode?: number };
  image?: { subpath?: string };
}

export interface ServiceNetworkConfig {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  driver_opts?: Record<string, string>;
  gw_priority?: number;
  interface_name?: string;
  /** Higher first when connecting. Default 0. */
  priority?: number;
}

export interface ServiceFileReference {
  /** Name of the top-level secret/config. */
  source: string;
  /** Path in the container (secrets default /run/secrets/<source>; configs /<source>). */
  target: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface HealthcheckConfig {
  /** ["NONE"], ["CMD", ...], ["CMD-SHELL", "..."]. */
  test?: string[];
  interval?: Nanoseconds;
  timeout?: Nanoseconds;
  retries?: number;
  start_period?: Nanoseconds;
  start_interval?: Nanoseconds;
  /** true when `disable: true` or test is ["NONE"]. */
  disable?: boolean;
}

export interface BuildConfig {
  /** Absolute path, or a URL (git/http) kept as is. */
  context: string;
  /** Relative to the context, as Docker expects it (default "Dockerfile"). */
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  ssh?: string[];
  labels?: Record<string, string>;
  cache_from?: string[];
  cache_to?: string[];
  no_cache?: boolean;
  /** Stages built without cache (BuildKit only). */
  no_cache_filter?: string[];
  additional_contexts?: Record<string, string>;
  network?: string;
  pull?: boolean;
  target?: string;
  shm_size?: Bytes;
  extra_hosts?: Record<string, string[]>;
  isolation?: string;
  privileged?: boolean;
  secrets?: ServiceFileReference[];
  tags?: string[];
  ulimits?: Record<string, UlimitConfig>;
  platforms?: string[];
  entitlements?: string[];
  provenance?: string;
  sbom?: string;
}

export interface UlimitConfig {
  soft: number;
  hard: number;
}

export interface ResourceSpec {
  cpus?: number;
  memory?: Bytes;
  pids?: number;
  devices?: Array<{ capabilities: string[]; driver?: string; count?: number | 'all'; device_ids?: string[]; options?: Record<string, string> }>;
  generic_resources?: Array<{ discrete_resource_spec?: { kind: string; value: number } }>;
}

export interface UpdateConfig {
  parallelism?: number;
  delay?: Nanoseconds;
  failure_action?: 'continue' | 'rollback' | 'pause';
  monitor?: Nanoseconds;
  max_failure_ratio?: number;
  order?: 'stop-first' | 'start-first';
}

export interface DeployConfig {
  mode?: 'replicated' | 'global' | 'replicated-job' | 'global-job';
  /** Normalized together with `scale`: both carry the same number when either is set. */
  replicas?: number;
  labels?: Record<string, string>;
  endpoint_mode?: 'vip' | 'dnsrr';
  update_config?: UpdateConfig;
  rollback_config?: UpdateConfig;
  resources?: { limits?: ResourceSpec; reservations?: ResourceSpec };
  restart_policy?: { condition?: 'none' | 'on-failure' | 'any'; delay?: Nanoseconds; max_attempts?: number; window?: Nanoseconds };
  placement?: { constraints?: string[]; preferences?: Array<{ spread: string }>; max_replicas_per_node?: number };
}

export interface LoggingConfig {
  driver?: string;
  options?: Record<string, string>;
}

/** The actions of a `develop.watch` rule, as the compose-spec names them. */
export type WatchAction = 'rebuild' | 'sync' | 'restart' | 'sync+restart' | 'sync+exec';

/** One `develop.watch` rule: `path` is absolute once paths are resolved; patterns as written (dockerignore syntax). */
export interface WatchTrigger {
  path: string;
  action: WatchAction;
  target?: string;
  ignore?: string[];
  include?: string[];
  /** sync+exec: the command run in each container after a sync (a service hook). */
  exec?: LifecycleHook;
  initial_sync?: boolean;
}

export interface DevelopConfig {
  watch?: WatchTrigger[];
}

export interface LifecycleHook {
  command: string[];
  /** pre_start only: the image of the hook's own container (default: the service's). */
  image?: string;
  /** pre_start only: one run per replica. Compose refuses it at up (not supported yet); so do we. */
  per_replica?: boolean;
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: Record<string, string | null>;
}

export interface ServiceConfig {
  /** The service's key in `services`. */
  name: string;
  /** Profiles this service belongs to (empty = always active). */
  profiles: string[];
  image?: string;
  build?: BuildConfig;
  command?: string[] | null;
  entrypoint?: string[] | null;
  /** Final environment: env_file contents overlaid by `environment`, interpolated. */
  environment: Record<string, string | null>;
  /** Kept for display; their contents are already merged into `environment`. */
  env_file?: Array<{ path: string; required: boolean; format?: string }>;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ports: ServicePortConfig[];
  expose?: string[];
  volumes: ServiceVolumeConfig[];
  volumes_from?: string[];
  tmpfs?: string[];
  /** Per-service networks; the implicit `default` network appears here when none is declared. */
  networks: Record<string, ServiceNetworkConfig | null>;
  network_mode?: string;
  depends_on: Record<string, DependsOnConfig>;
  links?: string[];
  external_links?: string[];
  healthcheck?: HealthcheckConfig;
  deploy?: DeployConfig;
  /** Number of containers; absent = 1 (unless deploy.replicas). Mirrors deploy.replicas. */
  scale?: number;
  secrets: ServiceFileReference[];
  configs: ServiceFileReference[];
  container_name?: string;
  hostname?: string;
  domainname?: string;
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the literals document the known values; any string passes through
  restart?: 'no' | 'always' | 'on-failure' | 'unless-stopped' | string;
  user?: string;
  working_dir?: string;
  stdin_open?: boolean;
  tty?: boolean;
  init?: boolean;
  privileged?: boolean;
  read_only?: boolean;
  stop_signal?: string;
  stop_grace_period?: Nanoseconds;
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- as for restart
  pull_policy?: 'always' | 'never' | 'missing' | 'build' | 'if_not_present' | 'daily' | 'weekly' | string;
  platform?: string;
  runtime?: string;
  isolation?: string;
  ipc?: string;
  pid?: string | null;
  uts?: string;
  userns_mode?: string;
  cgroup?: 'host' | 'private';
  cgroup_parent?: string;
  cap_add?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  devices?: Array<{ source: string; target: string; permissions?: string }>;
  device_cgroup_rules?: string[];
  dns?: string[];
  dns_opt?: string[];
  dns_search?: string[];
  /** host -> IPs. */
  extra_hosts?: Record<string, string[]>;
  mac_address?: string;
  sysctls?: Record<string, string>;
  ulimits?: Record<string, UlimitConfig>;
  logging?: LoggingConfig;
  group_add?: string[];
  shm_size?: Bytes;
  mem_limit?: Bytes;
  mem_reservation?: Bytes;
  memswap_limit?: Bytes;
  mem_swappiness?: number;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  pids_limit?: number;
  cpus?: number;
  cpu_count?: number;
  cpu_percent?: number;
  cpu_shares?: number;
  cpu_quota?: number;
  cpu_period?: number;
  /** Microseconds, as the engine's CpuRealtime* fields. */
  cpu_rt_runtime?: number;
  cpu_rt_period?: number;
  cpuset?: string;
  blkio_config?: Record<string, unknown>;
  storage_opt?: Record<string, string>;
  attach?: boolean;
  develop?: DevelopConfig;
  gpus?: Array<{ capabilities?: string[]; driver?: string; count?: number | 'all'; device_ids?: string[]; options?: Record<string, string> }>;
  credential_spec?: { config?: string; file?: string; registry?: string };
  label_file?: string[];
  models?: Record<string, { endpoint_var?: string; model_var?: string } | null>;
  provider?: { type: string; options?: Record<string, string | string[]> };
  use_api_socket?: boolean;
  /** Lifecycle hooks run with exec after start / before stop. */
  post_start?: LifecycleHook[];
  pre_stop?: LifecycleHook[];
  /** Run each in a one-off container (the service's volumes and networks) before the service starts. */
  pre_start?: LifecycleHook[];
  pull_refresh_after?: string;
  /**
   * Service keys the compose-spec defines and tscompose does not model (today `pre_start`), as
   * written: `config` prints them, `up` warns that they are not acted on. A key a newer schema
   * adds lands here until it is modelled, instead of being refused or dropped.
   */
  unmodelled?: Record<string, unknown>;
  /** Service-level x- extension fields, kept verbatim. */
  extensions?: Record<string, unknown>;
}

export interface IpamConfig {
  driver?: string;
  config?: Array<{ subnet?: string; ip_range?: string; gateway?: string; aux_addresses?: Record<string, string> }>;
  options?: Record<string, string>;
}

export interface NetworkConfig {
  /** Engine-side name: `<project>_<key>` unless `name:` or external. */
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: IpamConfig;
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv4?: boolean;
  enable_ipv6?: boolean;
  labels?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

export interface VolumeConfig {
  /** Engine-side name: `<project>_<key>` unless `name:` or external. */
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

/** Top-level secret; exactly one of file / environment / content (or external). */
export interface SecretConfig {
  name: string;
  /** Absolute path. */
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  labels?: Record<string, string>;
  driver?: string;
  driver_opts?: Record<string, string>;
  template_driver?: string;
  extensions?: Record<string, unknown>;
}

/** Top-level config object (named ConfigObjConfig to avoid clashing with "config" the command). */
export type ConfigObjConfig = SecretConfig;

/** Reads files for the loader; the node implementation lives in node-reader.ts. */
export interface FileReader {
  /**
   * Whole file as UTF-8; rejects with an error carrying code 'ENOENT' (or a FileReadError
   * `missing`, see isMissingFile) when missing, and with a UserError naming the file when it is
   * not a regular file, too large or not UTF-8 text. `-` = stdin. `what` names the file in
   * messages ("compose file", "env file").
   */
  readFile(path: string, what?: string): Promise<string>;
  /** true when a regular file exists at path. */
  exists(path: string): Promise<boolean>;
}

export interface LoadOptions {
  /** -f files in order (relative to cwd); `-` = stdin. Empty/absent = COMPOSE_FILE or discovery. */
  files?: string[];
  /** -p; wins over COMPOSE_PROJECT_NAME and `name:`. */
  projectName?: string;
  /** --project-directory; default the first file's directory. */
  projectDirectory?: string;
  /** --env-file (repeatable); default `<projectDirectory>/.env` when present. */
  envFiles?: string[];
  /** --profile; merged with COMPOSE_PROFILES. */
  profiles?: string[];
  /** Services named on the command line: enabled (whatever their profiles) with their dependencies. */
  services?: string[];
  /** Default true. false = keep ${VAR} as written (config --no-interpolate). */
  interpolate?: boolean;
  /** Default true. false = skip path resolution and implicit defaults (config --no-normalize). */
  normalize?: boolean;
  /** Shell environment (wins over env files). */
  env: Record<string, string | undefined>;
  reader: FileReader;
  /** Absolute current directory for relative -f and discovery. */
  cwd: string;
}
