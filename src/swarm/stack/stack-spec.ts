/**
 * Compose project -> tsswarm service specs for `tsswarm stack deploy`, and the deploy plan
 * (create / update only what changed / prune). Pure: the CLI loads the project with src/compose and
 * sends what this module decides. Key-by-key semantics in specs/stacks.md.
 */
import type {
  DeployConfig,
  HealthcheckConfig,
  Project,
  ResourceSpec,
  ServiceConfig,
  ServicePortConfig,
  ServiceVolumeConfig,
  UpdateConfig as ComposeUpdateConfig,
} from '../../compose/types.js';
import { UserError } from '../../util/errors.js';
import { canonicalJson } from '../store/canonical-json.js';
import { formatLimitPath, serviceSpecProblems, serviceSpecSchema, type LimitPath, type NetworkSpec, type Service, type ServiceSpec, type TaskSpec } from '../store/index.js';
import { heldPorts, portProblems, type PortHolder } from '../ports.js';
import { hasDigest, withoutDigest } from '../image-digest.js';
import type { ResolveImageMode } from '../api/registry-auth.js';

/** Docker's label naming a stack's services (and their containers). */
export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace';
/** Docker's service label recording the image as the stack file wrote it. */
export const STACK_IMAGE_LABEL = 'com.docker.stack.image';

type Mount = TaskSpec['container']['mounts'][number];
type Port = ServiceSpec['endpoint']['ports'][number];
type Healthcheck = NonNullable<TaskSpec['container']['healthcheck']>;
type UpdateConfig = NonNullable<ServiceSpec['update']>;

export interface StackSpecs {
  /** One spec per active service, sorted by name. */
  specs: ServiceSpec[];
  /** One line per key a stack ignores, e.g. `services.web.build: ignored ...`. */
  warnings: string[];
}

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Docker's rule for stack names (they prefix service names, so they must be names themselves). */
export function checkStackName(name: string): void {
  if (!STACK_NAME.test(name)) {
    throw new UserError(`invalid stack name ${JSON.stringify(name)}: expected letters, digits, "_", "." and "-", starting with a letter or digit`, { exitCode: 2 });
  }
}

/** `NAME_service`, Docker's naming of a stack's services. */
export function stackServiceName(stack: string, service: string): string {
  return `${stack}_${service}`;
}

/** Keys of a compose service that are mapped below (or folded into other keys by the loader). */
const MAPPED = new Set<string>([
  'name', 'profiles', 'image', 'command', 'entrypoint', 'environment', 'env_file', 'labels', 'ports', 'volumes', 'tmpfs',
  'networks', 'depends_on', 'healthcheck', 'deploy', 'scale', 'secrets', 'configs', 'hostname', 'user', 'working_dir',
  'init', 'stop_grace_period', 'restart', 'extensions', 'build', 'dns', 'dns_opt', 'dns_search', 'extra_hosts', 'group_add',
]);

const ms = (ns: number): number => Math.round(ns / 1e6);

/** Docker's healthcheck defaults when the file sets only some fields. */
const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 } as const;
/** Docker's update/rollback defaults for fields a file's update_config leaves out. */
const UPDATE_DEFAULTS: UpdateConfig = { parallelism: 1, delayMs: 0, failureAction: 'pause', monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' };
const CONSTRAINT = /^\s*(node\.(id|hostname|role|platform\.os|platform\.arch|labels\.[A-Za-z0-9_.-]+)|engine\.labels\.[A-Za-z0-9_.-]+)\s*(==|!=)\s*\S+\s*$/;

/**
 * Every active service of the project as a service spec of stack `stack`. Throws a UserError for
 * what cannot be deployed at all (no image, jobs, bad constraints, a spec the store would refuse);
 * collects a warning for each key a stack ignores.
 */
/** Ids of the cluster secrets/configs a stack's top-level `secrets:`/`configs:` keys became. */
export interface StackFileIds {
  secret: Record<string, { id: string; name: string }>;
  config: Record<string, { id: string; name: string }>;
}

/** A top-level secret or config an active service of the stack mounts. */
export interface StackFileObject {
  kind: 'secret' | 'config';
  /** The compose key. */
  key: string;
  /** Cluster name: `NAME_key`, or the `name:` the file gives (external ones keep theirs). */
  name: string;
  external: boolean;
  source: { file: string } | { environment: string } | { content: string } | null;
}

/**
 * The secrets and configs a deploy needs, in order: Docker names them `STACK_key` unless the file
 * gives a `name:`; external ones must already exist. Pure.
 */
export function stackFileObjects(project: Project, stack: string): StackFileObject[] {
  const out: StackFileObject[] = [];
  for (const kind of ['secret', 'config'] as const) {
    const defs = kind === 'secret' ? project.secrets : project.configs;
    const used = new Set(Object.values(project.services).flatMap((svc) => (kind === 'secret' ? svc.secrets : svc.configs).map((r) => r.source)));
    for (const key of [...used].sort()) {
      const d = defs[key];
      if (!d) continue;
      const external = d.external === true;
      const explicit = d.name && d.name !== `${project.name}_${key}` ? d.name : undefined;
      out.push({
        kind,
        key,
        name: external ? (d.name ?? key) : (explicit ?? `${stack}_${key}`),
        external,
        source: d.file ? { file: d.file } : d.environment ? { environment: d.environment } : d.content !== undefined ? { content: d.content } : null,
      });
    }
  }
  return out;
}

/** A top-level network an active service of the stack joins. */
export interface StackNetworkObject {
  /** The compose key. */
  key: string;
  /** Cluster name: `STACK_key`, or the `name:` the file gives (external ones keep theirs). */
  name: string;
  external: boolean;
  /** What to create when it does not exist yet (null for external networks). */
  spec: NetworkSpec | null;
}

/** Ids of the cluster networks a stack's networks became, by compose key. */
export type StackNetworkIds = Record<string, { id: string; name: string }>;

/**
 * The networks a deploy needs: every network an active service joins (`default` included, which
 * the loader adds to services that name none), as overlay specs. Docker names them `STACK_key`.
 * Throws for what an overlay cannot be (another driver, IPv6); warns for keys ignored.
 * Pure.
 */
export function stackNetworkObjects(project: Project, stack: string, warn: (w: string) => void = () => undefined): StackNetworkObject[] {
  const used = new Set(Object.values(project.services).flatMap((svc) => Object.keys(svc.networks)));
  const problems: string[] = [];
  const out: StackNetworkObject[] = [];
  for (const key of [...used].sort()) {
    const d = project.networks[key];
    const at = `networks.${key}`;
    const external = d?.external === true;
    const explicit = d?.name && d.name !== `${project.name}_${key}` ? d.name : undefined;
    const name = external ? (d?.name ?? key) : (explicit ?? `${stack}_${key}`);
    if (external || !d) {
      out.push({ key, name, external: true, spec: null });
      continue;
    }
    if (d.driver !== undefined && d.driver !== 'overlay') problems.push(`${at}.driver: ${JSON.stringify(d.driver)} cannot span a cluster: use overlay (or leave driver out)`);
    if (d.enable_ipv6) problems.push(`${at}.enable_ipv6: IPv6 overlays are not supported yet`);
    if (d.ipam?.driver !== undefined && d.ipam.driver !== 'default') problems.push(`${at}.ipam.driver: only the cluster's own IPAM is supported`);
    const configs = d.ipam?.config ?? [];
    if (configs.length > 1) problems.push(`${at}.ipam.config: at most one subnet per network for now (got ${configs.length})`);
    for (const [i, c] of configs.entries()) {
      if (!c.subnet) problems.push(`${at}.ipam.config[${i}]: a subnet is required when ipam.config is given`);
      if (c.aux_addresses) warn(`${at}.ipam.config[${i}].aux_addresses: ignored (the cluster IPAM never hands out another node's gateway)`);
    }
    out.push({
      key,
      name,
      external: false,
      spec: {
        name,
        labels: { ...(d.labels ?? {}), [STACK_NAMESPACE_LABEL]: stack },
        driver: 'overlay',
        driverOptions: { ...(d.driver_opts ?? {}) },
        ipam: { configs: configs.filter((c) => c.subnet).slice(0, 1).map((c) => ({ subnet: c.subnet!, gateway: c.gateway ?? null, ipRange: c.ip_range ?? null })) },
        internal: d.internal === true,
        attachable: d.attachable === true,
        ingress: false,
      },
    });
  }
  if (problems.length > 0) throw new UserError(problems.join('\n'), { hint: 'fix the compose file; nothing was sent to the cluster' });
  return out;
}

/** A service's `networks:` as task network attachments (targets are cluster network ids). */
function serviceNetworks(svc: ServiceConfig, stack: string, warn: (k: string, what: string) => void, networks?: StackNetworkIds): TaskSpec['networks'] {
  return Object.keys(svc.networks)
    .sort((a, b) => (svc.networks[b]?.priority ?? 0) - (svc.networks[a]?.priority ?? 0) || a.localeCompare(b))
    .map((key) => {
      const n = svc.networks[key] ?? {};
      for (const k of ['ipv4_address', 'ipv6_address', 'link_local_ips', 'mac_address', 'driver_opts', 'interface_name'] as const) {
        if (n[k] !== undefined) warn(`networks.${key}.${k}`, 'not supported in a stack (the cluster assigns addresses); ignored');
      }
      // Without ids (the dry run before the networks exist) the name keeps the spec checkable.
      // Docker gives every stack service its short name as an alias on each of its networks, so
      // `db` resolves inside the stack as it does under Compose.
      return { target: networks?.[key]?.id ?? `${stack}_${key}`, aliases: [...new Set([svc.name, ...(n.aliases ?? [])])] };
    });
}

/** Problems of one service under keys of its own (`ports[2].x-snat`), each with its own hint when there is one. */
class StackKeyError extends UserError {
  constructor(readonly problems: ReadonlyArray<{ key: string; message: string; hint?: string }>) {
    super(problems.map((p) => `${p.key}: ${p.message}`).join('\n'));
    this.name = 'StackKeyError';
  }
}

export function stackServiceSpecs(project: Project, stack: string, files?: StackFileIds, networks?: StackNetworkIds): StackSpecs {
  checkStackName(stack);
  const warnings: string[] = [];
  const problems: string[] = [];
  const hints: string[] = [];
  const specs: ServiceSpec[] = [];
  const origins = new Map<ServiceSpec, { key: string; origin: number[] }>();
  for (const key of Object.keys(project.services).sort()) {
    const svc = project.services[key]!;
    const at = `services.${key}`;
    const warn = (k: string, what: string): void => void warnings.push(`${at}.${k}: ${what}`);
    try {
      const origin: number[] = [];
      const spec = serviceSpec(project, stack, svc, warn, origin, files, networks);
      specs.push(spec);
      origins.set(spec, { key, origin });
    } catch (e) {
      if (e instanceof StackKeyError) {
        for (const p of e.problems) {
          problems.push(`${at}.${p.key}: ${p.message}`);
          if (p.hint) hints.push(p.hint);
        }
      } else if (e instanceof UserError) problems.push(`${at}: ${e.message}`);
      else throw e;
    }
  }
  // Published ports within the stack, before anything is sent: each service against itself and
  // the services before it (so a clash is reported once, on the later one).
  specs.forEach((spec, n) => {
    const { key, origin } = origins.get(spec)!;
    const before: PortHolder[] = specs.slice(0, n).map((o) => ({ name: origins.get(o)!.key, ports: o.endpoint.ports }));
    for (const p of portProblems(key, spec.endpoint.ports, before)) {
      const message = p.message.replace(/\(ports (\d+) and (\d+)\)$/, (_m, a: string, b: string) => `(ports[${origin[Number(a)]}] and ports[${origin[Number(b)]}])`);
      problems.push(`services.${key}.ports[${origin[p.index] ?? p.index}]: ${message}`);
      hints.push(p.code === 'conflict' ? 'publish each port from one service of the stack only' : p.hint);
    }
  });
  if (problems.length > 0) throw new UserError(problems.join('\n'), { hint: `${hints[0] ? `${hints[0]}; ` : ''}fix the compose file; nothing was sent to the cluster` });
  return { specs, warnings };
}

/** `dns`, `dns_search`, `dns_opt`, `extra_hosts` (as `HOST:IP`) and `group_add`. */
function resolverAndGroups(svc: ServiceConfig): Pick<TaskSpec['container'], 'dns' | 'hosts' | 'groups'> {
  return {
    dns: { nameservers: svc.dns ?? [], search: svc.dns_search ?? [], options: svc.dns_opt ?? [] },
    hosts: Object.entries(svc.extra_hosts ?? {}).flatMap(([host, ips]) => ips.map((ip) => `${host}:${ip}`)),
    groups: svc.group_add ?? [],
  };
}

function fileRefs(kind: 'secret' | 'config', refs: ServiceConfig['secrets'], files: StackFileIds | undefined): ServiceSpec['task']['container']['secrets'] {
  return refs.map((r) => {
    // Without ids (a dry run before the objects exist) a placeholder keeps the spec checkable.
    const o = files?.[kind][r.source] ?? { id: 'pending', name: r.source };
    return { id: o.id, name: o.name, target: { name: r.target, uid: r.uid ?? '0', gid: r.gid ?? '0', mode: r.mode ?? 0o444 } };
  });
}

function serviceSpec(
  project: Project,
  stack: string,
  svc: ServiceConfig,
  warn: (k: string, what: string) => void,
  /** Filled with the compose index of each spec port (ranges expand to several). */
  origin: number[],
  files: StackFileIds | undefined,
  networks: StackNetworkIds | undefined,
): ServiceSpec {
  for (const [k, v] of Object.entries(svc)) {
    if (MAPPED.has(k) || v === undefined) continue;
    warn(k, 'not supported in a stack; ignored');
  }
  if (!svc.image) throw new UserError('no image: a stack does not build images; set `image:` to one the nodes have');
  if (svc.build) warn('build', 'ignored by stack deploy (images are not built; the image must exist on the nodes)');

  const deploy: DeployConfig = svc.deploy ?? {};
  const mode = deploy.mode ?? 'replicated';
  if (mode !== 'replicated' && mode !== 'global') throw new UserError(`deploy.mode ${mode} is not supported yet (replicated | global)`);
  if (mode === 'global' && deploy.replicas !== undefined) throw new UserError('deploy.replicas cannot be used with deploy.mode global');

  const ns = { [STACK_NAMESPACE_LABEL]: stack };
  const env = Object.entries(svc.environment)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  const constraints = deploy.placement?.constraints ?? [];
  for (const c of constraints) if (!CONSTRAINT.test(c)) throw new UserError(`deploy.placement.constraints: invalid ${JSON.stringify(c)}: expected node.id|node.hostname|node.role|node.platform.os|node.platform.arch|node.labels.KEY|engine.labels.KEY ==|!= VALUE`);
  for (const p of deploy.placement?.preferences ?? []) if (!/^node\.labels\.[A-Za-z0-9_.-]+$/.test(p.spread)) throw new UserError(`deploy.placement.preferences: invalid spread ${JSON.stringify(p.spread)}: expected node.labels.KEY`);

  const spec: ServiceSpec = {
    name: stackServiceName(stack, svc.name),
    labels: { ...(deploy.labels ?? {}), ...ns, [STACK_IMAGE_LABEL]: svc.image },
    mode: mode === 'global' ? { type: 'global' } : { type: 'replicated', replicas: deploy.replicas ?? svc.scale ?? 1 },
    task: {
      container: {
        image: svc.image,
        command: svc.entrypoint ?? [],
        args: svc.command ?? [],
        env,
        workdir: svc.working_dir ?? '',
        user: svc.user ?? '',
        hostname: svc.hostname ?? '',
        labels: { ...svc.labels, ...ns },
        mounts: mounts(project, svc, warn),
        healthcheck: healthcheck(svc.healthcheck, warn),
        secrets: fileRefs('secret', svc.secrets, files),
        configs: fileRefs('config', svc.configs, files),
        stopGracePeriodMs: svc.stop_grace_period !== undefined ? ms(svc.stop_grace_period) : 10_000,
        init: svc.init === true,
        ...resolverAndGroups(svc),
      },
      resources: {
        limits: resources(deploy.resources?.limits, 'deploy.resources.limits', warn),
        reservations: resources(deploy.resources?.reservations, 'deploy.resources.reservations', warn),
      },
      restartPolicy: restartPolicy(deploy, svc.restart),
      placement: {
        constraints: constraints.map((c) => c.trim()),
        preferences: (deploy.placement?.preferences ?? []).map((p) => ({ spread: p.spread })),
        maxReplicasPerNode: deploy.placement?.max_replicas_per_node ?? 0,
      },
      networks: serviceNetworks(svc, stack, warn, networks),
      forceUpdate: 0,
    },
    update: updateConfig(deploy.update_config),
    rollback: updateConfig(deploy.rollback_config),
    endpoint: { mode: deploy.endpoint_mode ?? 'vip', ports: ports(svc.ports, warn, origin) },
    dependsOn: Object.keys(svc.depends_on)
      .sort()
      .map((dep) => ({ service: stackServiceName(stack, dep), condition: svc.depends_on[dep]!.condition })),
  };
  for (const [dep, d] of Object.entries(svc.depends_on)) {
    if (d.restart) warn(`depends_on.${dep}.restart`, 'not supported in a stack; ignored');
    if (!d.required) warn(`depends_on.${dep}.required`, 'false is not supported in a stack; the dependency is required');
  }
  return checkedSpec(spec, origin);
}

/** The store's shape, then the bounds every client write meets (store/objects/limits.ts), by compose key. */
function checkedSpec(spec: ServiceSpec, origin: readonly number[]): ServiceSpec {
  const checked = serviceSpecSchema.safeParse(spec);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new UserError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const over = serviceSpecProblems(spec);
  if (over.length > 0) throw new StackKeyError(over.map((p) => ({ key: composeKeyOf(p.path, origin), message: p.message })));
  return spec;
}

/**
 * The compose key behind each bounded spec field (longest prefix wins), so a value out of the
 * bounds of store/objects/limits.ts names the key to fix in the file.
 */
const COMPOSE_KEY_OF: ReadonlyArray<[string, string]> = [
  ['name', 'name'],
  ['labels', 'deploy.labels'],
  ['mode.replicas', 'deploy.replicas'],
  ['task.container.image', 'image'],
  ['task.container.command', 'entrypoint'],
  ['task.container.args', 'command'],
  ['task.container.env', 'environment'],
  ['task.container.workdir', 'working_dir'],
  ['task.container.user', 'user'],
  ['task.container.hostname', 'hostname'],
  ['task.container.labels', 'labels'],
  ['task.container.mounts', 'volumes'],
  ['task.container.healthcheck.test', 'healthcheck.test'],
  ['task.container.healthcheck.intervalMs', 'healthcheck.interval'],
  ['task.container.healthcheck.timeoutMs', 'healthcheck.timeout'],
  ['task.container.healthcheck.startPeriodMs', 'healthcheck.start_period'],
  ['task.container.healthcheck.retries', 'healthcheck.retries'],
  ['task.container.secrets', 'secrets'],
  ['task.container.configs', 'configs'],
  ['task.container.stopGracePeriodMs', 'stop_grace_period'],
  ['task.resources.limits.nanoCPUs', 'deploy.resources.limits.cpus'],
  ['task.resources.limits.memoryBytes', 'deploy.resources.limits.memory'],
  ['task.resources.reservations.nanoCPUs', 'deploy.resources.reservations.cpus'],
  ['task.resources.reservations.memoryBytes', 'deploy.resources.reservations.memory'],
  ['task.restartPolicy.delayMs', 'deploy.restart_policy.delay'],
  ['task.restartPolicy.windowMs', 'deploy.restart_policy.window'],
  ['task.restartPolicy.maxAttempts', 'deploy.restart_policy.max_attempts'],
  ['task.placement.constraints', 'deploy.placement.constraints'],
  ['task.placement.preferences', 'deploy.placement.preferences'],
  ['task.placement.maxReplicasPerNode', 'deploy.placement.max_replicas_per_node'],
  ['task.networks', 'networks'],
  ['update.parallelism', 'deploy.update_config.parallelism'],
  ['update.delayMs', 'deploy.update_config.delay'],
  ['update.monitorMs', 'deploy.update_config.monitor'],
  ['rollback.parallelism', 'deploy.rollback_config.parallelism'],
  ['rollback.delayMs', 'deploy.rollback_config.delay'],
  ['rollback.monitorMs', 'deploy.rollback_config.monitor'],
  ['endpoint.ports', 'ports'],
  ['dependsOn', 'depends_on'],
];

function composeKeyOf(path: LimitPath, origin: readonly number[]): string {
  const dotted = path.filter((p) => typeof p === 'string').join('.');
  const hit = COMPOSE_KEY_OF.filter(([prefix]) => dotted === prefix || dotted.startsWith(`${prefix}.`)).sort((a, b) => b[0].length - a[0].length)[0];
  if (!hit) return formatLimitPath(path);
  // A port's index is the compose one (ranges expand to several spec ports).
  const index = path.find((p) => typeof p === 'number');
  if (hit[1] === 'ports' && typeof index === 'number') return `ports[${origin[index] ?? index}]`;
  return typeof index === 'number' && hit[1] !== 'environment' && !hit[1].startsWith('deploy.') ? `${hit[1]}[${index}]` : hit[1];
}

function healthcheck(hc: HealthcheckConfig | undefined, warn: (k: string, what: string) => void): Healthcheck | null {
  if (!hc) return null;
  if (hc.disable || hc.test?.[0] === 'NONE') return { test: ['NONE'], intervalMs: 0, timeoutMs: 0, retries: 0, startPeriodMs: 0 };
  if (hc.start_interval !== undefined) warn('healthcheck.start_interval', 'not supported yet; ignored');
  if (!hc.test || hc.test.length === 0) {
    warn('healthcheck', 'no test: the image\'s healthcheck (if any) is used with its own timings');
    return null;
  }
  return {
    test: hc.test,
    intervalMs: hc.interval !== undefined ? ms(hc.interval) : HEALTH_DEFAULTS.intervalMs,
    timeoutMs: hc.timeout !== undefined ? ms(hc.timeout) : HEALTH_DEFAULTS.timeoutMs,
    retries: hc.retries ?? HEALTH_DEFAULTS.retries,
    startPeriodMs: hc.start_period !== undefined ? ms(hc.start_period) : HEALTH_DEFAULTS.startPeriodMs,
  };
}

function resources(r: ResourceSpec | undefined, at: string, warn: (k: string, what: string) => void): TaskSpec['resources']['limits'] {
  if (r?.pids !== undefined) warn(`${at}.pids`, 'not supported yet; ignored');
  if (r?.devices !== undefined) warn(`${at}.devices`, 'not supported yet; ignored');
  if (r?.generic_resources !== undefined) warn(`${at}.generic_resources`, 'not supported yet; ignored');
  return { nanoCPUs: r?.cpus !== undefined ? Math.round(r.cpus * 1e9) : 0, memoryBytes: r?.memory ?? 0 };
}

/**
 * deploy.restart_policy, with Docker's defaults (any, 5 s, unlimited). Without it Docker reads the
 * compose `restart:` key: always/unless-stopped -> any, on-failure[:N] -> on-failure (N attempts),
 * `no` -> the default (Docker's choice, kept).
 */
function restartPolicy(deploy: DeployConfig, restart: string | undefined): TaskSpec['restartPolicy'] {
  const rp = deploy.restart_policy;
  if (rp) {
    return {
      condition: rp.condition ?? 'any',
      delayMs: rp.delay !== undefined ? ms(rp.delay) : 5000,
      maxAttempts: rp.max_attempts ?? 0,
      windowMs: rp.window !== undefined ? ms(rp.window) : 0,
    };
  }
  const onFailure = restart === undefined ? null : /^on-failure(?::(\d+))?$/.exec(restart);
  if (onFailure) return { condition: 'on-failure', delayMs: 5000, maxAttempts: onFailure[1] ? Number(onFailure[1]) : 0, windowMs: 0 };
  return { condition: 'any', delayMs: 5000, maxAttempts: 0, windowMs: 0 };
}

function updateConfig(u: ComposeUpdateConfig | undefined): UpdateConfig | null {
  if (!u) return null;
  return {
    parallelism: u.parallelism ?? UPDATE_DEFAULTS.parallelism,
    delayMs: u.delay !== undefined ? ms(u.delay) : UPDATE_DEFAULTS.delayMs,
    failureAction: u.failure_action ?? UPDATE_DEFAULTS.failureAction,
    monitorMs: u.monitor !== undefined ? ms(u.monitor) : UPDATE_DEFAULTS.monitorMs,
    maxFailureRatio: u.max_failure_ratio ?? UPDATE_DEFAULTS.maxFailureRatio,
    order: u.order ?? UPDATE_DEFAULTS.order,
  };
}

function mounts(project: Project, svc: ServiceConfig, warn: (k: string, what: string) => void): Mount[] {
  const out: Mount[] = [];
  svc.volumes.forEach((v: ServiceVolumeConfig, i) => {
    const at = `volumes[${i}]`;
    const readOnly = v.read_only === true;
    if (v.type === 'bind') {
      if (v.bind?.propagation !== undefined || v.bind?.selinux !== undefined || v.bind?.recursive !== undefined) warn(at, 'bind options (propagation, selinux, recursive) not supported yet; ignored');
      out.push({ type: 'bind', source: v.source ?? '', target: v.target, readOnly });
    } else if (v.type === 'volume') {
      if (v.volume?.nocopy !== undefined || v.volume?.subpath !== undefined) warn(at, 'volume options (nocopy, subpath) not supported yet; ignored');
      // A named volume is the stack's (`NAME_vol`, or its `name:` / external name); no source = anonymous.
      const source = v.source === undefined ? '' : (project.volumes[v.source]?.name ?? v.source);
      out.push({ type: 'volume', source, target: v.target, readOnly });
    } else if (v.type === 'tmpfs') {
      if (v.tmpfs?.size !== undefined || v.tmpfs?.mode !== undefined) warn(at, 'tmpfs size/mode not supported yet; ignored');
      out.push({ type: 'tmpfs', source: '', target: v.target, readOnly });
    } else {
      warn(at, `mount type ${v.type} not supported in a stack; ignored`);
    }
  });
  for (const t of svc.tmpfs ?? []) {
    const [target, opts] = [t.split(':')[0]!, t.split(':').slice(1).join(':')];
    if (opts) warn('tmpfs', `options of ${target} (${opts}) not supported yet; ignored`);
    out.push({ type: 'tmpfs', source: '', target, readOnly: false });
  }
  return out;
}

/**
 * `ports:` as Docker's stack deploy reads them: the loader has expanded target ranges already
 * (`8000-8002:80-82` is three entries, and a mismatched range is its error); a published range
 * with one target port (`9000-9001:53`) publishes each of its ports to that target, as Docker's
 * ConvertPortToPortConfig does; no published port (`"80"`) is an ingress port the cluster numbers.
 * `x-snat: true` on a long-syntax entry asks the entry node to masquerade (ingress mode only).
 */
function ports(list: ServicePortConfig[], warn: (k: string, what: string) => void, origin: number[]): Port[] {
  const out: Port[] = [];
  const problems: Array<{ key: string; message: string; hint?: string }> = [];
  list.forEach((p, i) => {
    const at = `ports[${i}]`;
    if (p.host_ip !== undefined) warn(`${at}.host_ip`, 'not supported in a stack (ports publish on every address); ignored');
    const x = p.extensions?.['x-snat'];
    const snat = x === true || x === 'true';
    if (x !== undefined && !snat && x !== false && x !== 'false') problems.push({ key: `${at}.x-snat`, message: `expected true or false, got ${JSON.stringify(x)}` });
    if (snat && p.mode === 'host') {
      problems.push({ key: at, message: 'x-snat applies to ingress-mode ports only: a host-mode port is answered on its task\'s own node, which sees the client\'s address anyway', hint: 'remove x-snat, or use mode: ingress' });
      return;
    }
    const m = p.published === undefined ? null : /^(\d+)(?:-(\d+))?$/.exec(p.published);
    if (p.published !== undefined && m === null) {
      problems.push({ key: `${at}.published`, message: `invalid published port ${JSON.stringify(p.published)}`, hint: 'a port (8080) or a range (8080-8082)' });
      return;
    }
    const lo = m === null ? 0 : Number(m[1]);
    const numbers = m === null ? [null] : Array.from({ length: Number(m[2] ?? m[1]) - lo + 1 }, (_x, k) => lo + k);
    for (const n of numbers) {
      out.push({ name: p.name ?? '', protocol: p.protocol, targetPort: p.target, publishedPort: n, publishMode: p.mode, snat });
      origin.push(i);
    }
  });
  if (problems.length > 0) throw new StackKeyError(problems);
  return out;
}

/** A stack service as the deploy plan needs it: id, its current spec and the version read. */
export type ExistingService = Pick<Service, 'id' | 'spec' | 'meta'>;

export interface StackPlan {
  create: ServiceSpec[];
  /**
   * Changed services: the spec to send with the version that was read. `imageOnly`: the file
   * matches the service but for the digest its image is pinned to; sent so the managers ask the
   * registry again (`--resolve-image always`), and a no-op there when the tag has not moved.
   */
  update: Array<{ id: string; version: number; spec: ServiceSpec; imageOnly?: boolean }>;
  /** Names of stack services whose spec is already what the file asks for. */
  unchanged: string[];
  /** Stack services no longer in the file; removed only with --prune. */
  remove: Array<{ id: string; name: string }>;
}

/** Members of stack `stack`, by the namespace label. */
export function inStack(stack: string, s: Pick<Service, 'spec'>): boolean {
  return s.spec.labels[STACK_NAMESPACE_LABEL] === stack;
}

/**
 * What `stack deploy` does: create the services that do not exist, update only those whose spec
 * differs (canonical JSON of the whole spec; new ones dependencies first), and with `prune` remove stack services the file no
 * longer has. The forced-update counter is carried over (as Docker does), so a redeploy does not
 * undo or repeat a `service update --force`. A service of the same name outside the stack is a
 * conflict, refused before anything is sent.
 */
export function planStackDeploy(
  stack: string,
  desired: readonly ServiceSpec[],
  existing: readonly ExistingService[],
  opts: {
    prune: boolean;
    /** `--resolve-image`: with `always` (the default) an image pinned to a digest is resolved again. */
    resolveImage?: ResolveImageMode;
    /**
     * Every service of the cluster with the published ports it holds (`publishedPorts` of `GET
     * /v1/services`). Given, the deploy's ports are checked against the cluster as it will be
     * after the deploy, and updates are ordered so that one freeing a port goes before one taking it.
     */
    cluster?: readonly PortHolder[];
  },
): StackPlan {
  const byName = new Map(existing.map((e) => [e.spec.name, e]));
  const plan: StackPlan = { create: [], update: [], unchanged: [], remove: [] };
  const conflicts: string[] = [];
  for (const d of desired) {
    const e = byName.get(d.name);
    if (!e) {
      plan.create.push(d);
      continue;
    }
    if (!inStack(stack, e)) {
      conflicts.push(d.name);
      continue;
    }
    const spec: ServiceSpec = { ...d, task: { ...d.task, forceUpdate: e.spec.task.forceUpdate } };
    const pinned = e.spec.task.container.image;
    const samePin = hasDigest(pinned) && !hasDigest(d.task.container.image) && withoutDigest(pinned) === d.task.container.image;
    const asPinned: ServiceSpec = samePin ? { ...spec, task: { ...spec.task, container: { ...spec.task.container, image: pinned } } } : spec;
    if (!specsEqual(asPinned, e.spec)) plan.update.push({ id: e.id, version: e.meta.version, spec });
    else if (samePin && (opts.resolveImage ?? 'always') === 'always') plan.update.push({ id: e.id, version: e.meta.version, spec, imageOnly: true });
    else plan.unchanged.push(d.name);
  }
  if (conflicts.length > 0) {
    throw new UserError(`service${conflicts.length > 1 ? 's' : ''} ${conflicts.join(', ')} already exist${conflicts.length > 1 ? '' : 's'} outside stack ${stack}`, {
      code: 'conflict',
      hint: 'remove or rename it, or deploy the stack under another name',
    });
  }
  plan.create = dependenciesFirst(plan.create);
  if (opts.prune) {
    const wanted = new Set(desired.map((d) => d.name));
    for (const e of existing) if (inStack(stack, e) && !wanted.has(e.spec.name)) plan.remove.push({ id: e.id, name: e.spec.name });
    plan.remove.sort((a, b) => a.name.localeCompare(b.name));
  }
  if (opts.cluster) plan.update = portOrder(desired, plan, opts.cluster);
  return plan;
}

/**
 * A deploy is sent as removals, updates, creations, each checked by the managers on its own, so
 * its ports are judged here as a whole: against the cluster as it will be afterwards (services
 * outside the deploy as they are, the deploy's as the file says, keeping the numbers they were
 * allocated), refused before anything is sent; then updates are ordered so that one giving up a
 * port goes before one taking it (creations come last anyway). Ports moving both ways between
 * updated services cannot be sent one by one without a refusal: that is refused too.
 */
function portOrder(desired: readonly ServiceSpec[], plan: StackPlan, cluster: readonly PortHolder[]): StackPlan['update'] {
  const now = new Map(cluster.map((c) => [c.name, c.ports]));
  const gone = new Set([...plan.remove.map((r) => r.name), ...desired.map((d) => d.name)]);
  const after = (d: ServiceSpec): PortHolder => {
    const held = now.get(d.name);
    return { name: d.name, ports: heldPorts({ spec: d, endpoint: held ? { ports: [...held], virtualIPs: [] } : null }) };
  };
  const final: PortHolder[] = [...cluster.filter((c) => !gone.has(c.name)), ...desired.map(after)];
  const problems: string[] = [];
  let hint = '';
  for (const d of desired) {
    for (const p of portProblems(d.name, after(d).ports, final.filter((f) => f.name !== d.name))) {
      problems.push(`service ${d.name}: ${p.message}`);
      hint ||= p.hint;
    }
  }
  if (problems.length > 0) throw new UserError(problems.join('\n'), { code: 'conflict', hint: `${hint}; nothing was sent to the cluster` });

  // U waits for V when V holds now a port U will hold, and either side is ingress mode.
  const updating = new Map(plan.update.map((u) => [u.spec.name, u]));
  const waitsFor = new Map<string, Set<string>>();
  for (const u of plan.update) {
    const deps = new Set<string>();
    for (const p of after(u.spec).ports) {
      if (p.publishedPort === null) continue;
      for (const [name, ports] of now) {
        if (name === u.spec.name || !updating.has(name)) continue;
        if (ports.some((q) => q.publishedPort === p.publishedPort && q.protocol === p.protocol && (q.publishMode === 'ingress' || p.publishMode === 'ingress'))) deps.add(name);
      }
    }
    waitsFor.set(u.spec.name, deps);
  }
  const out: StackPlan['update'] = [];
  const done = new Set<string>();
  const pending = [...plan.update].sort((a, b) => a.spec.name.localeCompare(b.spec.name));
  while (pending.length > 0) {
    const i = pending.findIndex((u) => [...waitsFor.get(u.spec.name)!].every((n) => done.has(n)));
    if (i < 0) {
      throw new UserError(`published ports move both ways between services ${pending.map((u) => u.spec.name).join(', ')}: no order of updates frees each before it is taken`, {
        code: 'conflict',
        hint: 'deploy in two steps: first without the ports that move, then with them; nothing was sent to the cluster',
      });
    }
    const [next] = pending.splice(i, 1);
    out.push(next!);
    done.add(next!.spec.name);
  }
  return out;
}

/**
 * New services in an order where each comes after the new services it depends on (then by name),
 * so a dependent never waits with "service not found" for a dependency created a moment later.
 * The loader refuses cycles; anything left over is appended in name order.
 */
function dependenciesFirst(specs: ServiceSpec[]): ServiceSpec[] {
  const pending = [...specs].sort((a, b) => a.name.localeCompare(b.name));
  const names = new Set(pending.map((s) => s.name));
  const out: ServiceSpec[] = [];
  const done = new Set<string>();
  while (pending.length > 0) {
    const i = pending.findIndex((s) => s.dependsOn.every((d) => !names.has(d.service) || done.has(d.service)));
    const [next] = pending.splice(i < 0 ? 0 : i, 1);
    out.push(next!);
    done.add(next!.name);
  }
  return out;
}

/** Specs compare by canonical bytes, as the updater compares task specs. */
export function specsEqual(a: ServiceSpec, b: ServiceSpec): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
