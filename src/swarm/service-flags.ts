/**
 * `tsswarm service create|update` flags -> a service spec. Pure; every bad value is a UserError
 * naming its flag (exit 2, like any usage mistake). The flags are Docker's (`docker service create`).
 */
import { parseBytes, parseDuration } from '../compose/units.js';
import { UserError } from '../util/errors.js';
import { formatLimitPath, serviceSpecProblems, type LimitPath, type ServiceSpec, type TaskSpec } from './store/index.js';
import { withoutDigest } from './image-digest.js';

export interface ServiceFlags {
  name?: string;
  replicas?: string;
  mode?: string;
  env: string[];
  label: string[];
  containerLabel: string[];
  constraint: string[];
  placementPref: string[];
  maxReplicas?: string;
  reserveCpu?: string;
  reserveMemory?: string;
  limitCpu?: string;
  limitMemory?: string;
  restartCondition?: string;
  restartDelay?: string;
  restartMaxAttempts?: string;
  restartWindow?: string;
  updateParallelism?: string;
  updateDelay?: string;
  updateFailureAction?: string;
  updateOrder?: string;
  updateMonitor?: string;
  updateMaxFailureRatio?: string;
  rollbackParallelism?: string;
  rollbackDelay?: string;
  rollbackOrder?: string;
  rollbackMonitor?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  noHealthcheck?: boolean;
  mount: string[];
  publish: string[];
  /** `--network NAME` or `--network name=NAME,alias=A[,alias=B]` (repeatable). */
  network?: string[];
  endpointMode?: string;
  stopGracePeriod?: string;
  init?: boolean;
  workdir?: string;
  user?: string;
  hostname?: string;
  entrypoint?: string;
}

function bad(flag: string, value: string, expected: string): never {
  throw new UserError(`${flag}: invalid value ${JSON.stringify(value)}: expected ${expected}`, { exitCode: 2 });
}

function int(flag: string, v: string, min = 0): number {
  if (!/^\d+$/.test(v) || Number(v) < min) bad(flag, v, `an integer >= ${min}`);
  return Number(v);
}

function ms(flag: string, v: string): number {
  try {
    return Math.round(parseDuration(v) / 1e6);
  } catch {
    return bad(flag, v, 'a duration like 10s, 1m30s, 500ms');
  }
}

function bytes(flag: string, v: string): number {
  try {
    return parseBytes(v);
  } catch {
    return bad(flag, v, 'a size like 64M, 1G, 512k');
  }
}

function cpus(flag: string, v: string): number {
  if (!/^\d+(\.\d+)?$/.test(v)) bad(flag, v, 'a number of CPUs like 0.5 or 2');
  return Math.round(Number(v) * 1e9);
}

function keyValues(flag: string, list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    const k = i < 0 ? kv : kv.slice(0, i);
    if (!k) bad(flag, kv, 'KEY=VALUE');
    out[k] = i < 0 ? '' : kv.slice(i + 1);
  }
  return out;
}

function oneOf<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) bad(flag, v, allowed.join(' | '));
  return v as T;
}

const CONSTRAINT = /^\s*(node\.(id|hostname|role|labels\.[A-Za-z0-9_.-]+)|engine\.labels\.[A-Za-z0-9_.-]+)\s*(==|!=)\s*\S+\s*$/;

/** `--mount type=bind,source=/x,target=/y,readonly` (Docker's long form). */
function mount(v: string): TaskSpec['container']['mounts'][number] {
  const f: Record<string, string> = {};
  for (const part of v.split(',')) {
    const i = part.indexOf('=');
    f[(i < 0 ? part : part.slice(0, i)).trim()] = i < 0 ? 'true' : part.slice(i + 1);
  }
  const type = oneOf('--mount type', f.type ?? 'volume', ['bind', 'volume', 'tmpfs'] as const);
  const target = f.target ?? f.destination ?? f.dst ?? '';
  if (!target.startsWith('/')) bad('--mount', v, 'target=/absolute/path');
  const source = f.source ?? f.src ?? '';
  if (type === 'bind' && !source.startsWith('/')) bad('--mount', v, 'source=/absolute/host/path for a bind mount');
  const ro = f.readonly ?? f.ro;
  return { type, source: type === 'tmpfs' ? '' : source, target, readOnly: ro === 'true' || ro === '1' };
}

const PORT_KEYS = ['published', 'target', 'protocol', 'mode', 'snat'] as const;

/**
 * `-p 8080:80`, `-p 80` (the cluster picks the published port), `-p 8080:80/udp`, or Docker's long
 * form `published=8080,target=80,protocol=udp,mode=host` plus ours, `snat=true` (ingress mode
 * only: the entry node masquerades and the task sees its address, not the client's).
 */
export function parsePortFlag(flag: string, v: string): ServiceSpec['endpoint']['ports'][number] {
  let published: number | null = null;
  let target: number;
  let protocol = 'tcp';
  let mode = 'ingress';
  let snat = false;
  if (v.includes('=')) {
    const f = keyValues(flag, v.split(','));
    const unknown = Object.keys(f).filter((k) => !(PORT_KEYS as readonly string[]).includes(k));
    if (unknown.length > 0) bad(flag, v, `keys ${PORT_KEYS.join(', ')} (unknown: ${unknown.join(', ')})`);
    target = int(`${flag} target`, f.target ?? '', 1);
    if (f.published) published = int(`${flag} published`, f.published, 1);
    protocol = f.protocol ?? 'tcp';
    mode = f.mode ?? 'ingress';
    if (f.snat !== undefined) snat = oneOf(`${flag} snat`, f.snat === '' ? 'true' : f.snat, ['true', 'false'] as const) === 'true';
  } else {
    const m = /^(?:(\d+):)?(\d+)(?:\/([a-z]+))?$/.exec(v);
    if (!m) bad(flag, v, 'PUBLISHED:TARGET[/PROTOCOL], TARGET[/PROTOCOL] or published=,target=,protocol=,mode=,snat=');
    published = m[1] ? Number(m[1]) : null;
    target = Number(m[2]);
    protocol = m[3] ?? 'tcp';
  }
  if (target < 1 || target > 65535 || (published !== null && (published < 1 || published > 65535))) bad(flag, v, 'ports in 1..65535');
  const publishMode = oneOf(`${flag} mode`, mode, ['ingress', 'host'] as const);
  if (snat && publishMode === 'host') {
    throw new UserError(`${flag}: snat=true applies to ingress mode only: a host-mode port is answered on its task's own node, which sees the client's address anyway`, { exitCode: 2 });
  }
  return { name: '', protocol: oneOf(`${flag} protocol`, protocol, ['tcp', 'udp', 'sctp'] as const), targetPort: target, publishedPort: published, publishMode, snat };
}

/** `--publish-rm TARGET[/PROTOCOL]`: Docker removes by target port (and protocol, tcp by default), whatever the published port. */
function parsePortRm(v: string): { target: number; protocol: string } {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) bad('--publish-rm', v, 'TARGET[/PROTOCOL], the container port, e.g. 80 or 53/udp');
  return { target: Number(m[1]), protocol: m[2] ?? 'tcp' };
}

/**
 * `service update --publish-rm` then `--publish-add`, as Docker applies them: removals by target
 * port; an added port replaces an entry with the same published port and protocol, and one
 * already there as is is not added twice. A removal that matches nothing is an error (a typo
 * would otherwise send an update that changes nothing).
 */
function updatePorts(name: string, cur: ServiceSpec['endpoint']['ports'], add: readonly string[], rm: readonly string[]): ServiceSpec['endpoint']['ports'] {
  let out = [...cur];
  for (const v of rm) {
    const r = parsePortRm(v);
    const kept = out.filter((p) => !(p.targetPort === r.target && p.protocol === r.protocol));
    if (kept.length === out.length) throw new UserError(`--publish-rm ${v}: service ${name} publishes no port with target ${r.target}/${r.protocol}`, { hint: 'see the ports with `tsswarm service inspect ' + name + '`' });
    out = kept;
  }
  for (const v of add) {
    const p = parsePortFlag('--publish-add', v);
    const same = (q: typeof p): boolean => q.targetPort === p.targetPort && q.protocol === p.protocol && q.publishMode === p.publishMode && q.publishedPort === p.publishedPort;
    if (out.some((q) => same(q) && q.snat === p.snat)) continue;
    out = p.publishedPort === null ? [...out, p] : [...out.filter((q) => !(q.publishedPort === p.publishedPort && q.protocol === p.protocol)), p];
  }
  return out;
}

/** Docker's update defaults, used when a flag sets only part of the config. */
const UPDATE_DEFAULTS = { parallelism: 1, delayMs: 0, failureAction: 'pause', monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' } as const;

/** A new service's spec from `service create` flags, image and command. */
export function serviceSpecFromFlags(f: ServiceFlags, image: string, command: string[]): ServiceSpec {
  const name = f.name ?? image.replace(/[:@].*$/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) bad('--name', name, 'a name of letters, digits, _ . -');
  const mode = oneOf('--mode', f.mode ?? 'replicated', ['replicated', 'global'] as const);
  if (mode === 'global' && f.replicas !== undefined) throw new UserError('--replicas: only for replicated services (this one is --mode global)', { exitCode: 2 });
  const spec: ServiceSpec = {
    name,
    labels: keyValues('--label', f.label),
    mode: mode === 'global' ? { type: 'global' } : { type: 'replicated', replicas: f.replicas === undefined ? 1 : int('--replicas', f.replicas) },
    task: {
      container: {
        image,
        command: f.entrypoint ? [f.entrypoint] : [],
        args: command,
        env: f.env.map((e) => (e.includes('=') ? e : bad('--env', e, 'KEY=VALUE'))),
        workdir: f.workdir ?? '',
        user: f.user ?? '',
        hostname: f.hostname ?? '',
        labels: keyValues('--container-label', f.containerLabel),
        mounts: f.mount.map(mount),
        healthcheck: null,
        secrets: [],
        configs: [],
        stopGracePeriodMs: f.stopGracePeriod ? ms('--stop-grace-period', f.stopGracePeriod) : 10_000,
        init: f.init === true,
      },
      resources: {
        limits: { nanoCPUs: f.limitCpu ? cpus('--limit-cpu', f.limitCpu) : 0, memoryBytes: f.limitMemory ? bytes('--limit-memory', f.limitMemory) : 0 },
        reservations: { nanoCPUs: f.reserveCpu ? cpus('--reserve-cpu', f.reserveCpu) : 0, memoryBytes: f.reserveMemory ? bytes('--reserve-memory', f.reserveMemory) : 0 },
      },
      restartPolicy: {
        condition: oneOf('--restart-condition', f.restartCondition ?? 'any', ['none', 'on-failure', 'any'] as const),
        delayMs: f.restartDelay ? ms('--restart-delay', f.restartDelay) : 5000,
        maxAttempts: f.restartMaxAttempts ? int('--restart-max-attempts', f.restartMaxAttempts) : 0,
        windowMs: f.restartWindow ? ms('--restart-window', f.restartWindow) : 0,
      },
      placement: {
        constraints: f.constraint.map((c) => (CONSTRAINT.test(c) ? c.trim() : bad('--constraint', c, 'node.id|node.hostname|node.role|node.labels.KEY ==|!= VALUE'))),
        preferences: f.placementPref.map((p) => {
          const m = /^spread=(node\.labels\.[A-Za-z0-9_.-]+)$/.exec(p.trim());
          return m ? { spread: m[1]! } : bad('--placement-pref', p, 'spread=node.labels.KEY');
        }),
        maxReplicasPerNode: f.maxReplicas ? int('--replicas-max-per-node', f.maxReplicas) : 0,
      },
      networks: (f.network ?? []).map((v) => parseNetworkFlag('--network', v)),
      forceUpdate: 0,
    },
    update: null,
    rollback: null,
    endpoint: { mode: oneOf('--endpoint-mode', f.endpointMode ?? 'vip', ['vip', 'dnsrr'] as const), ports: f.publish.map((v) => parsePortFlag('--publish', v)) },
    dependsOn: [],
  };
  return withinLimits(applyCommonFlags(spec, f));
}

/**
 * The flag behind each bounded field (longest prefix wins), so a value out of the bounds of
 * store/objects/limits.ts is refused here, as a usage error, before anything is sent; the managers
 * check the same function again.
 */
const FLAG_OF: ReadonlyArray<[string, string]> = [
  ['name', '--name'],
  ['labels', '--label'],
  ['mode.replicas', '--replicas'],
  ['task.container.image', 'image'],
  ['task.container.command', '--entrypoint'],
  ['task.container.args', 'command'],
  ['task.container.env', '--env'],
  ['task.container.workdir', '--workdir'],
  ['task.container.user', '--user'],
  ['task.container.hostname', '--hostname'],
  ['task.container.labels', '--container-label'],
  ['task.container.mounts', '--mount'],
  ['task.container.healthcheck.test', '--health-cmd'],
  ['task.container.healthcheck.intervalMs', '--health-interval'],
  ['task.container.healthcheck.timeoutMs', '--health-timeout'],
  ['task.container.healthcheck.startPeriodMs', '--health-start-period'],
  ['task.container.healthcheck.retries', '--health-retries'],
  ['task.container.secrets', '--secret'],
  ['task.container.configs', '--config'],
  ['task.container.stopGracePeriodMs', '--stop-grace-period'],
  ['task.resources.limits.nanoCPUs', '--limit-cpu'],
  ['task.resources.limits.memoryBytes', '--limit-memory'],
  ['task.resources.reservations.nanoCPUs', '--reserve-cpu'],
  ['task.resources.reservations.memoryBytes', '--reserve-memory'],
  ['task.restartPolicy.delayMs', '--restart-delay'],
  ['task.restartPolicy.windowMs', '--restart-window'],
  ['task.restartPolicy.maxAttempts', '--restart-max-attempts'],
  ['task.placement.constraints', '--constraint'],
  ['task.placement.preferences', '--placement-pref'],
  ['task.placement.maxReplicasPerNode', '--replicas-max-per-node'],
  ['task.networks', '--network'],
  ['task.forceUpdate', '--force'],
  ['update.parallelism', '--update-parallelism'],
  ['update.delayMs', '--update-delay'],
  ['update.monitorMs', '--update-monitor'],
  ['rollback.parallelism', '--rollback-parallelism'],
  ['rollback.delayMs', '--rollback-delay'],
  ['rollback.monitorMs', '--rollback-monitor'],
  ['endpoint.ports', '--publish'],
];

function flagOf(path: LimitPath): string {
  const dotted = path.filter((p) => typeof p === 'string').join('.');
  const hit = FLAG_OF.filter(([prefix]) => dotted === prefix || dotted.startsWith(`${prefix}.`)).sort((a, b) => b[0].length - a[0].length)[0];
  return hit?.[1] ?? formatLimitPath(path);
}

/** The spec, or a one-line usage error (exit 2) naming the flag of its first value out of bounds. */
export function withinLimits(spec: ServiceSpec): ServiceSpec {
  const p = serviceSpecProblems(spec)[0];
  if (p) throw new UserError(`${flagOf(p.path)}: ${p.message} (${formatLimitPath(p.path)})`, { exitCode: 2 });
  return spec;
}

/** Health and update/rollback flags, shared by create and update. */
export function applyCommonFlags(spec: ServiceSpec, f: Partial<ServiceFlags>): ServiceSpec {
  const out: ServiceSpec = structuredClone(spec);
  const c = out.task.container;
  if (f.noHealthcheck) c.healthcheck = { test: ['NONE'], intervalMs: 0, timeoutMs: 0, retries: 0, startPeriodMs: 0 };
  if (f.healthCmd !== undefined || f.healthInterval || f.healthTimeout || f.healthRetries || f.healthStartPeriod) {
    if (f.noHealthcheck) throw new UserError('--no-healthcheck conflicts with --health-* flags', { exitCode: 2 });
    const cur = c.healthcheck ?? { test: ['NONE'], intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 };
    c.healthcheck = {
      test: f.healthCmd !== undefined ? ['CMD-SHELL', f.healthCmd] : cur.test,
      intervalMs: f.healthInterval ? ms('--health-interval', f.healthInterval) : cur.intervalMs,
      timeoutMs: f.healthTimeout ? ms('--health-timeout', f.healthTimeout) : cur.timeoutMs,
      retries: f.healthRetries ? int('--health-retries', f.healthRetries) : cur.retries,
      startPeriodMs: f.healthStartPeriod ? ms('--health-start-period', f.healthStartPeriod) : cur.startPeriodMs,
    };
    if (c.healthcheck.test[0] === 'NONE') throw new UserError('--health-interval and friends need --health-cmd (or an existing healthcheck)', { exitCode: 2 });
  }
  const upd = (cur: ServiceSpec['update'], prefix: 'update' | 'rollback') => {
    const p = (k: string) => (f as Record<string, string | undefined>)[`${prefix}${k}`];
    if (![p('Parallelism'), p('Delay'), p('FailureAction'), p('Order'), p('Monitor'), p('MaxFailureRatio')].some((x) => x !== undefined)) return cur;
    const base = cur ?? UPDATE_DEFAULTS;
    const ratio = p('MaxFailureRatio');
    if (ratio !== undefined && !(/^\d*\.?\d+$/.test(ratio) && Number(ratio) <= 1)) bad(`--${prefix}-max-failure-ratio`, ratio, 'a number in 0..1');
    return {
      parallelism: p('Parallelism') !== undefined ? int(`--${prefix}-parallelism`, p('Parallelism')!) : base.parallelism,
      delayMs: p('Delay') ? ms(`--${prefix}-delay`, p('Delay')!) : base.delayMs,
      failureAction: p('FailureAction') ? oneOf(`--${prefix}-failure-action`, p('FailureAction')!, ['pause', 'continue', 'rollback'] as const) : base.failureAction,
      monitorMs: p('Monitor') ? ms(`--${prefix}-monitor`, p('Monitor')!) : base.monitorMs,
      maxFailureRatio: ratio !== undefined ? Number(ratio) : base.maxFailureRatio,
      order: p('Order') ? oneOf(`--${prefix}-order`, p('Order')!, ['stop-first', 'start-first'] as const) : base.order,
    };
  };
  out.update = upd(out.update, 'update');
  out.rollback = upd(out.rollback, 'rollback');
  return out;
}

export interface ServiceUpdateFlags extends Partial<ServiceFlags> {
  image?: string;
  envAdd: string[];
  envRm: string[];
  /** Same forms as `--network`. */
  networkAdd?: string[];
  /** Network ids (the CLI resolves names first: the spec holds ids). */
  networkRm?: string[];
  /** Same forms as `--publish`. */
  publishAdd?: string[];
  /** `TARGET[/PROTOCOL]`. */
  publishRm?: string[];
  force?: boolean;
}

/** `service update`: the current spec with the flags applied (Docker's add/rm forms). */
export function updatedSpec(cur: ServiceSpec, f: ServiceUpdateFlags): ServiceSpec {
  const out: ServiceSpec = structuredClone(cur);
  const c = out.task.container;
  if (f.image) c.image = f.image;
  if (f.replicas !== undefined) {
    if (out.mode.type !== 'replicated') throw new UserError('--replicas: only for replicated services', { exitCode: 2 });
    out.mode = { type: 'replicated', replicas: int('--replicas', f.replicas) };
  }
  if (f.envRm.length > 0 || f.envAdd.length > 0) {
    const rm = new Set([...f.envRm, ...f.envAdd.map((e) => e.split('=')[0]!)]);
    c.env = [...c.env.filter((e) => !rm.has(e.split('=')[0]!)), ...f.envAdd.map((e) => (e.includes('=') ? e : bad('--env-add', e, 'KEY=VALUE')))];
  }
  if (f.limitCpu) out.task.resources.limits.nanoCPUs = cpus('--limit-cpu', f.limitCpu);
  if (f.limitMemory) out.task.resources.limits.memoryBytes = bytes('--limit-memory', f.limitMemory);
  if (f.reserveCpu) out.task.resources.reservations.nanoCPUs = cpus('--reserve-cpu', f.reserveCpu);
  if (f.reserveMemory) out.task.resources.reservations.memoryBytes = bytes('--reserve-memory', f.reserveMemory);
  if ((f.networkRm ?? []).length > 0 || (f.networkAdd ?? []).length > 0) {
    const add = (f.networkAdd ?? []).map((v) => parseNetworkFlag('--network-add', v));
    const rm = new Set([...(f.networkRm ?? []), ...add.map((a) => a.target)]);
    out.task.networks = [...out.task.networks.filter((n) => !rm.has(n.target)), ...add];
  }
  if ((f.publishRm ?? []).length > 0 || (f.publishAdd ?? []).length > 0) out.endpoint.ports = updatePorts(out.name, out.endpoint.ports, f.publishAdd ?? [], f.publishRm ?? []);
  if (f.force) {
    out.task.forceUpdate += 1;
    // As `--image` does, `--force` asks the registry again what the tag points at.
    if (!f.image) c.image = withoutDigest(c.image);
  }
  return withinLimits(applyCommonFlags(out, f));
}

/**
 * `--network NAME` or Docker's long form `name=NAME,alias=A,alias=B` (`target=` is a synonym of
 * `name=`). The name goes to the managers as is; they resolve it to the network's id.
 */
export function parseNetworkFlag(flag: string, v: string): TaskSpec['networks'][number] {
  if (!v.includes('=')) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v)) bad(flag, v, 'a network name or name=NAME,alias=ALIAS');
    return { target: v, aliases: [] };
  }
  let target = '';
  const aliases: string[] = [];
  for (const part of v.split(',')) {
    const i = part.indexOf('=');
    const k = i < 0 ? part : part.slice(0, i);
    const val = i < 0 ? '' : part.slice(i + 1);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(val)) bad(flag, v, `${k}= with a name of letters, digits, _ . -`);
    if (k === 'name' || k === 'target') target = val;
    else if (k === 'alias') aliases.push(val);
    else bad(flag, v, 'name=NAME and alias=ALIAS (driver-opt= is not supported)');
  }
  if (!target) bad(flag, v, 'name=NAME');
  return { target, aliases };
}

/** A `--secret` / `--config` flag before its name is resolved to an id. */
export interface FileRefFlag {
  source: string;
  target: string;
  uid: string;
  gid: string;
  mode: number;
}

/** `--secret NAME` or `--secret source=NAME,target=T,uid=0,gid=0,mode=0444` (Docker's forms). */
export function parseFileRefFlag(flag: '--secret' | '--config', v: string): FileRefFlag {
  if (!v.includes('=')) return { source: v, target: v, uid: '0', gid: '0', mode: 0o444 };
  const f = keyValues(flag, v.split(','));
  const source = f.source ?? f.src ?? '';
  if (!source) bad(flag, v, 'source=NAME[,target=...,uid=...,gid=...,mode=0444]');
  const mode = f.mode === undefined ? 0o444 : /^0?[0-7]{3,4}$/.test(f.mode) ? parseInt(f.mode, 8) : bad(flag, v, 'mode as octal, e.g. 0400');
  return { source, target: f.target ?? source, uid: f.uid ?? '0', gid: f.gid ?? '0', mode };
}
