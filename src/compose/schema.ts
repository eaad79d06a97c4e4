/**
 * The shape of one compose file as written (short and long syntaxes both accepted), in zod: the
 * second layer of validation (validate.ts), after the compose-spec schema (spec-schema.ts) has
 * judged keys and JSON types. It refines values the schema leaves loose, with our messages.
 * Numbers and booleans also accept their string spelling, because interpolation yields strings
 * (`ports: ["${PORT}"]`, `replicas: ${N}`).
 */
import { z } from 'zod';

type Shape = Record<string, z.ZodType>;

/**
 * Object with the keys we refine. Other keys pass: whether a key exists at all is the
 * compose-spec schema's question (spec-schema.ts), answered before this schema runs.
 */
function obj(shape: Shape): z.ZodType {
  return z.object(shape).catchall(z.unknown());
}

const str = z.string();
const int = z.union([z.number().int(), z.string().regex(/^-?\d+$/, 'must be an integer')]);
const num = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a number')]);
// compose-go casts interpolated booleans with YAML 1.1's words too (`init: yes`).
const bool = z.union([z.boolean(), z.string().regex(/^(y|yes|true|on|n|no|false|off)$/i, 'must be a boolean')]);
const strOrNum = z.union([z.string(), z.number()]);
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const strList = z.array(str);
const strOrList = z.union([str, strList]);
/** environment, labels, args...: mapping of scalars or list of KEY[=VALUE]. */
const listOrDict = z.union([z.record(z.string(), scalar), z.array(z.union([str, z.number()]))]);
const duration = z.union([z.string(), z.number()]);
const size = z.union([z.string(), z.number()]);
const command = z.union([z.null(), str, z.array(strOrNum)]);
const labels = listOrDict;

const fileRef = z.union([
  str,
  obj({ source: str, target: str.optional(), uid: strOrNum.optional(), gid: strOrNum.optional(), mode: strOrNum.optional() }),
]);

const ulimits = z.record(z.string(), z.union([int, obj({ soft: int, hard: int })]));

const build = z.union([
  str,
  obj({
    context: str.optional(),
    dockerfile: str.optional(),
    dockerfile_inline: str.optional(),
    args: listOrDict.optional(),
    ssh: listOrDict.optional(),
    labels: labels.optional(),
    cache_from: strList.optional(),
    cache_to: strList.optional(),
    no_cache: bool.optional(),
    no_cache_filter: strOrList.optional(),
    additional_contexts: listOrDict.optional(),
    network: str.optional(),
    pull: bool.optional(),
    target: str.optional(),
    shm_size: size.optional(),
    extra_hosts: listOrDict.optional(),
    isolation: str.optional(),
    privileged: bool.optional(),
    secrets: z.array(fileRef).optional(),
    tags: strList.optional(),
    ulimits: ulimits.optional(),
    platforms: strList.optional(),
    entitlements: strList.optional(),
    provenance: z.union([str, z.boolean()]).optional(),
    sbom: z.union([str, z.boolean()]).optional(),
  }),
]);

const resources = obj({
  cpus: num.optional(),
  memory: size.optional(),
  pids: int.optional(),
  devices: z.array(z.record(z.string(), z.unknown())).optional(),
  generic_resources: z.array(z.record(z.string(), z.unknown())).optional(),
});

const updateConfig = obj({
  parallelism: int.optional(),
  delay: duration.optional(),
  failure_action: str.optional(),
  monitor: duration.optional(),
  max_failure_ratio: num.optional(),
  order: z.enum(['start-first', 'stop-first']).optional(),
});

const deploy = obj({
  mode: z.enum(['replicated', 'global', 'replicated-job', 'global-job']).optional(),
  replicas: int.optional(),
  labels: labels.optional(),
  endpoint_mode: z.enum(['vip', 'dnsrr']).optional(),
  update_config: updateConfig.optional(),
  rollback_config: updateConfig.optional(),
  resources: obj({ limits: resources.optional(), reservations: resources.optional() }).optional(),
  restart_policy: obj({
    condition: z.enum(['none', 'on-failure', 'any']).optional(),
    delay: duration.optional(),
    max_attempts: int.optional(),
    window: duration.optional(),
  }).optional(),
  placement: obj({
    constraints: strList.optional(),
    preferences: z.array(obj({ spread: str })).optional(),
    max_replicas_per_node: int.optional(),
  }).optional(),
});

const healthcheck = obj({
  test: z.union([str, strList]).optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: int.optional(),
  start_period: duration.optional(),
  start_interval: duration.optional(),
  disable: bool.optional(),
});

const port = z.union([
  z.number(),
  str,
  obj({
    name: str.optional(),
    mode: z.enum(['host', 'ingress']).optional(),
    host_ip: str.optional(),
    target: int,
    published: z.union([str, z.number()]).optional(),
    protocol: str.optional(),
    app_protocol: str.optional(),
  }),
]);

const volume = z.union([
  str,
  obj({
    type: z.enum(['volume', 'bind', 'tmpfs', 'npipe', 'cluster', 'image']),
    source: str.optional(),
    target: str.optional(),
    read_only: bool.optional(),
    consistency: str.optional(),
    bind: obj({
      propagation: str.optional(),
      create_host_path: bool.optional(),
      selinux: z.enum(['z', 'Z']).optional(),
      recursive: str.optional(),
    }).optional(),
    volume: obj({ nocopy: bool.optional(), subpath: str.optional() }).optional(),
    tmpfs: obj({ size: size.optional(), mode: strOrNum.optional() }).optional(),
    image: obj({ subpath: str.optional() }).optional(),
  }),
]);

const serviceNetwork = z.union([
  z.null(),
  obj({
    aliases: strList.optional(),
    ipv4_address: str.optional(),
    ipv6_address: str.optional(),
    link_local_ips: strList.optional(),
    mac_address: str.optional(),
    driver_opts: z.record(z.string(), strOrNum).optional(),
    gw_priority: int.optional(),
    priority: int.optional(),
    interface_name: str.optional(),
  }),
]);

const dependsOn = z.union([
  strList,
  z.record(
    z.string(),
    obj({
      condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']).optional(),
      required: bool.optional(),
      restart: bool.optional(),
    }),
  ),
]);

const envFile = z.union([
  str,
  z.array(z.union([str, obj({ path: str, required: bool.optional(), format: str.optional() })])),
]);

const hook = obj({
  command,
  user: strOrNum.optional(),
  privileged: bool.optional(),
  working_dir: str.optional(),
  environment: listOrDict.optional(),
});

// The compose-spec's `development`: each watch rule needs a path and one of its actions.
const develop = obj({
  watch: z
    .array(
      obj({
        path: str,
        action: z.enum(['rebuild', 'sync', 'restart', 'sync+restart', 'sync+exec']),
        target: str.optional(),
        ignore: strOrList.optional(),
        include: strOrList.optional(),
        exec: hook.optional(),
        initial_sync: bool.optional(),
      }),
    )
    .optional(),
});

const serviceShape: Shape = {
  annotations: labels,
  attach: bool,
  blkio_config: z.record(z.string(), z.unknown()),
  build,
  cap_add: strList,
  cap_drop: strList,
  cgroup: z.enum(['host', 'private']),
  cgroup_parent: str,
  command,
  configs: z.array(fileRef),
  container_name: str,
  cpu_count: int,
  cpu_percent: int,
  cpu_period: int,
  cpu_quota: int,
  cpu_rt_period: duration,
  cpu_rt_runtime: duration,
  cpu_shares: int,
  cpus: num,
  cpuset: str,
  credential_spec: z.record(z.string(), z.unknown()),
  depends_on: dependsOn,
  deploy,
  develop: z.union([z.null(), develop]),
  device_cgroup_rules: strList,
  devices: z.array(z.union([str, obj({ source: str, target: str.optional(), permissions: str.optional() })])),
  dns: strOrList,
  dns_opt: strList,
  dns_search: strOrList,
  domainname: str,
  entrypoint: command,
  env_file: envFile,
  label_file: strOrList,
  environment: listOrDict,
  expose: z.array(strOrNum),
  extends: z.union([str, obj({ service: str, file: str.optional() })]),
  external_links: strList,
  extra_hosts: z.union([z.record(z.string(), z.union([scalar, strList])), z.array(str)]),
  gpus: z.union([z.literal('all'), z.array(z.record(z.string(), z.unknown()))]),
  group_add: z.array(strOrNum),
  healthcheck,
  hostname: str,
  image: str,
  init: bool,
  ipc: str,
  isolation: str,
  labels,
  links: strList,
  logging: obj({ driver: str.optional(), options: z.record(z.string(), z.union([strOrNum, z.null()])).optional() }),
  mac_address: str,
  mem_limit: size,
  mem_reservation: size,
  mem_swappiness: int,
  memswap_limit: size,
  models: z.unknown(),
  network_mode: str,
  networks: z.union([strList, z.record(z.string(), serviceNetwork)]),
  oom_kill_disable: bool,
  oom_score_adj: int,
  pid: z.union([str, z.null()]),
  pids_limit: int,
  platform: str,
  ports: z.array(port),
  post_start: z.array(hook),
  // Compose runs a pre_start hook in a container of its own, so it may name an image.
  pre_start: z.array(obj({
    command,
    image: str.optional(),
    user: strOrNum.optional(),
    privileged: bool.optional(),
    working_dir: str.optional(),
    environment: listOrDict.optional(),
    per_replica: bool.optional(),
  })),
  pre_stop: z.array(hook),
  privileged: bool,
  profiles: strList,
  provider: z.record(z.string(), z.unknown()),
  pull_policy: str,
  pull_refresh_after: str,
  read_only: bool,
  restart: str,
  runtime: str,
  scale: int,
  secrets: z.array(fileRef),
  security_opt: strList,
  shm_size: size,
  stdin_open: bool,
  stop_grace_period: duration,
  stop_signal: str,
  storage_opt: z.record(z.string(), strOrNum),
  sysctls: listOrDict,
  tmpfs: strOrList,
  tty: bool,
  ulimits,
  use_api_socket: bool,
  user: strOrNum,
  userns_mode: str,
  uts: str,
  volumes: z.array(volume),
  volumes_from: strList,
  working_dir: str,
};

/** Keys of a service, for did-you-mean and merge tables. */
export const SERVICE_KEYS = Object.keys(serviceShape);

const service = obj(Object.fromEntries(Object.entries(serviceShape).map(([k, v]) => [k, v.optional()])));

const external = z.union([bool, obj({ name: str.optional() })]);

const network = z.union([
  z.null(),
  obj({
    name: str.optional(),
    driver: str.optional(),
    driver_opts: z.record(z.string(), strOrNum).optional(),
    ipam: obj({
      driver: str.optional(),
      config: z.array(obj({ subnet: str.optional(), ip_range: str.optional(), gateway: str.optional(), aux_addresses: z.record(z.string(), str).optional() })).optional(),
      options: z.record(z.string(), str).optional(),
    }).optional(),
    external: external.optional(),
    internal: bool.optional(),
    attachable: bool.optional(),
    enable_ipv4: bool.optional(),
    enable_ipv6: bool.optional(),
    labels: labels.optional(),
  }),
]);

const volumeTop = z.union([
  z.null(),
  obj({
    name: str.optional(),
    driver: str.optional(),
    driver_opts: z.record(z.string(), strOrNum).optional(),
    external: external.optional(),
    labels: labels.optional(),
  }),
]);

const secretTop = obj({
  name: str.optional(),
  file: str.optional(),
  environment: str.optional(),
  content: str.optional(),
  external: external.optional(),
  labels: labels.optional(),
  driver: str.optional(),
  driver_opts: z.record(z.string(), strOrNum).optional(),
  template_driver: str.optional(),
});

const include = z.array(
  z.union([
    str,
    obj({ path: z.union([str, z.array(str).min(1, 'needs at least one path')]), project_directory: str.optional(), env_file: strOrList.optional() }),
  ]),
);

export const composeFileSchema = obj({
  version: z.union([str, z.number()]).optional(),
  name: str.optional(),
  include: include.optional(),
  services: z.union([z.null(), z.record(z.string(), z.union([z.null(), service]))]).optional(),
  networks: z.union([z.null(), z.record(z.string(), network)]).optional(),
  volumes: z.union([z.null(), z.record(z.string(), volumeTop)]).optional(),
  secrets: z.union([z.null(), z.record(z.string(), secretTop)]).optional(),
  configs: z.union([z.null(), z.record(z.string(), secretTop)]).optional(),
  models: z.unknown().optional(),
});
