/**
 * `tsswarm service create|update` flags -> a service spec. Pure; every bad value is a UserError
 * naming its flag (exit 2, like any usage mistake). The flags are Docker's (`docker service create`).
 */
import { isIP } from 'node:net';
import { parseBytes, parseDuration } from '../compose/units.js';
import { shellSplit } from '../compose/shell-split.js';
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
  rollbackFailureAction?: string;
  rollbackMaxFailureRatio?: string;
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
  /** `--dns IP` (repeatable). */
  dns?: string[];
  /** `--dns-option OPT` (repeatable). */
  dnsOption?: string[];
  /** `--dns-search DOMAIN` (repeatable). */
  dnsSearch?: string[];
  /** `--host HOST:IP` (repeatable). */
  host?: string[];
  /** `--group GROUP` (repeatable). */
  group?: string[];
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

/** `--dns` / `--dns-add`: an IPv4 or IPv6 address. */
function nameserver(flag: string, v: string): string {
  return isIP(v) ? v : bad(flag, v, 'an IP address, e.g. 10.0.0.2');
}

/** `--dns-option`: a resolv.conf option, `ndots:2`, `rotate`, `timeout:1`. */
function dnsOption(flag: string, v: string): string {
  return /^[A-Za-z0-9_-]+(:[A-Za-z0-9_.-]+)?$/.test(v) ? v : bad(flag, v, 'a resolver option like ndots:2 or rotate');
}

const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** `--dns-search`: a domain name (or `.`, Docker's "no search domain"). */
function searchDomain(flag: string, v: string): string {
  return v === '.' || DOMAIN.test(v) ? v : bad(flag, v, 'a domain name like example.org');
}

/** `--host` / `--host-add HOST:IP` (the first colon ends the host: an IPv6 address keeps its own). */
function hostEntry(flag: string, v: string): string {
  const i = v.indexOf(':');
  const host = i < 0 ? '' : v.slice(0, i);
  const ip = i < 0 ? '' : v.slice(i + 1);
  if (!DOMAIN.test(host) || !isIP(ip)) bad(flag, v, 'HOST:IP, e.g. db:10.0.0.5');
  return `${host}:${ip}`;
}

/** `--group` / `--group-add`: a group name or a numeric id. */
function groupName(flag: string, v: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(v) ? v : bad(flag, v, 'a group name or numeric gid');
}

/** A `--*-rm` key: non-empty and on one line. */
function rmKey(flag: string, v: string): string {
  return v.length > 0 && !/[\n\r]/.test(v) ? v : bad(flag, v, 'a non-empty key');
}

const CONSTRAINT = /^\s*(node\.(id|hostname|role|labels\.[A-Za-z0-9_.-]+)|engine\.labels\.[A-Za-z0-9_.-]+)\s*(==|!=)\s*\S+\s*$/;

function constraintFlag(flag: string, c: string): string {
  return CONSTRAINT.test(c) ? c.trim() : bad(flag, c, 'node.id|node.hostname|node.role|node.labels.KEY ==|!= VALUE');
}

function placementPref(flag: string, p: string): { spread: string } {
  const m = /^spread=(node\.labels\.[A-Za-z0-9_.-]+)$/.exec(p.trim());
  return m ? { spread: m[1]! } : bad(flag, p, 'spread=node.labels.KEY');
}

/** `--mount type=bind,source=/x,target=/y,readonly` (Docker's long form). */
function mount(v: string, flag = '--mount'): TaskSpec['container']['mounts'][number] {
  const f: Record<string, string> = {};
  for (const part of v.split(',')) {
    const i = part.indexOf('=');
    f[(i < 0 ? part : part.slice(0, i)).trim()] = i < 0 ? 'true' : part.slice(i + 1);
  }
  const type = oneOf(`${flag} type`, f.type ?? 'volume', ['bind', 'volume', 'tmpfs'] as const);
  const target = f.target ?? f.destination ?? f.dst ?? '';
  if (!target.startsWith('/')) bad(flag, v, 'target=/absolute/path');
  const source = f.source ?? f.src ?? '';
  if (type === 'bind' && !source.startsWith('/')) bad(flag, v, 'source=/absolute/host/path for a bind mount');
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
        mounts: f.mount.map((v) => mount(v)),
        healthcheck: null,
        secrets: [],
        configs: [],
        stopGracePeriodMs: f.stopGracePeriod ? ms('--stop-grace-period', f.stopGracePeriod) : 10_000,
        init: f.init === true,
        dns: {
          nameservers: unique((f.dns ?? []).map((v) => nameserver('--dns', v))),
          search: unique((f.dnsSearch ?? []).map((v) => searchDomain('--dns-search', v))),
          options: unique((f.dnsOption ?? []).map((v) => dnsOption('--dns-option', v))),
        },
        hosts: unique((f.host ?? []).map((v) => hostEntry('--host', v))),
        groups: unique((f.group ?? []).map((v) => groupName('--group', v))),
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
        constraints: f.constraint.map((c) => constraintFlag('--constraint', c)),
        preferences: f.placementPref.map((p) => placementPref('--placement-pref', p)),
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
  ['task.container.dns.nameservers', '--dns'],
  ['task.container.dns.search', '--dns-search'],
  ['task.container.dns.options', '--dns-option'],
  ['task.container.hosts', '--host'],
  ['task.container.groups', '--group'],
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

/** Create flags whose `service update` form is `FLAG-add` (an update grows a list only through it). */
const ADD_FORM = new Set(['--label', '--container-label', '--mount', '--secret', '--config', '--constraint', '--placement-pref', '--env', '--network', '--publish', '--dns', '--dns-option', '--dns-search', '--host', '--group']);

function flagOf(path: LimitPath, update: boolean): string {
  const dotted = path.filter((p) => typeof p === 'string').join('.');
  const hit = FLAG_OF.filter(([prefix]) => dotted === prefix || dotted.startsWith(`${prefix}.`)).sort((a, b) => b[0].length - a[0].length)[0];
  const flag = hit?.[1] ?? formatLimitPath(path);
  if (update && ADD_FORM.has(flag)) return `${flag}-add`;
  if (update && flag === 'command') return '--args';
  return flag;
}

/**
 * The spec, or a one-line usage error (exit 2) naming the flag of its first value out of bounds
 * (`update`: by the name `service update` gives the flag, `--mount-add` for `--mount`).
 */
export function withinLimits(spec: ServiceSpec, update = false): ServiceSpec {
  const p = serviceSpecProblems(spec)[0];
  if (p) throw new UserError(`${flagOf(p.path, update)}: ${p.message} (${formatLimitPath(p.path)})`, { exitCode: 2 });
  return spec;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
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
      // A rollback that fails cannot itself roll back: Docker offers pause | continue there.
      failureAction: p('FailureAction') ? oneOf(`--${prefix}-failure-action`, p('FailureAction')!, prefix === 'update' ? (['pause', 'continue', 'rollback'] as const) : (['pause', 'continue'] as const)) : base.failureAction,
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
  /** Service labels `KEY=VALUE` / `KEY`: no task is replaced for them. */
  labelAdd?: string[];
  labelRm?: string[];
  containerLabelAdd?: string[];
  containerLabelRm?: string[];
  /** `--mount` specs / mount targets. */
  mountAdd?: string[];
  mountRm?: string[];
  /** Secrets and configs to add, already resolved to ids by the CLI (parseFileRefFlag, resolveFileRefs). */
  secretAdd?: TaskSpec['container']['secrets'];
  /** Secret names. */
  secretRm?: string[];
  configAdd?: TaskSpec['container']['configs'];
  configRm?: string[];
  constraintAdd?: string[];
  constraintRm?: string[];
  placementPrefAdd?: string[];
  placementPrefRm?: string[];
  groupAdd?: string[];
  groupRm?: string[];
  dnsAdd?: string[];
  dnsRm?: string[];
  dnsOptionAdd?: string[];
  dnsOptionRm?: string[];
  dnsSearchAdd?: string[];
  dnsSearchRm?: string[];
  /** `HOST:IP` / `HOST` or `HOST:IP`. */
  hostAdd?: string[];
  hostRm?: string[];
  /** Refused: the spec has no generic resources. */
  genericResourceAdd?: string[];
  genericResourceRm?: string[];
  /** `--args "CMD ARGS"`: the task's command arguments, split like a shell. */
  args?: string;
}

/**
 * Docker's add/rm pair over a list: the removals first (by `key`), then each addition replaces
 * an entry with its key or is appended. A removal that matches nothing is not an error (Docker's).
 */
function addRm<T>(cur: readonly T[], add: readonly T[], rm: readonly string[], key: (x: T) => string): T[] {
  const gone = new Set(rm);
  let out = cur.filter((x) => !gone.has(key(x)));
  for (const a of add) {
    const i = out.findIndex((x) => key(x) === key(a));
    out = i < 0 ? [...out, a] : out.map((x, j) => (j === i ? a : x));
  }
  return out;
}

/** The same over a map (labels): rm deletes keys, add sets them. */
function addRmMap(flag: string, cur: Readonly<Record<string, string>>, add: readonly string[], rm: readonly string[]): Record<string, string> {
  const out = { ...cur };
  for (const k of rm) delete out[rmKey(`${flag}-rm`, k)];
  return { ...out, ...keyValues(`${flag}-add`, [...add]) };
}

/** A constraint compared without its spaces: `node.role == worker` removes `node.role==worker`. */
const constraintKey = (c: string): string => c.replace(/\s+/g, '');

/** `--host-rm HOST` removes every entry of HOST; `--host-rm HOST:IP` only that mapping (Docker's). */
function removeHosts(cur: readonly string[], rm: readonly string[]): string[] {
  const gone = rm.map((v) => {
    const i = v.indexOf(':');
    const host = i < 0 ? v : v.slice(0, i);
    if (!DOMAIN.test(host) || (i >= 0 && !isIP(v.slice(i + 1)))) bad('--host-rm', v, 'HOST or HOST:IP');
    return { host, ip: i < 0 ? null : v.slice(i + 1) };
  });
  return cur.filter((e) => {
    const i = e.indexOf(':');
    return !gone.some((g) => g.host === e.slice(0, i) && (g.ip === null || g.ip === e.slice(i + 1)));
  });
}

/** Refs that share a target with an earlier one in the same list are a usage error (Docker's). */
function distinctTargets(flag: string, refs: TaskSpec['container']['secrets']): void {
  const seen = new Set<string>();
  for (const r of refs) {
    if (seen.has(r.target.name)) throw new UserError(`${flag}: target ${JSON.stringify(r.target.name)} given twice`, { exitCode: 2 });
    seen.add(r.target.name);
  }
}

/** The task-spec and label add/rm flags of `service update` (everything checked before it is used). */
function applyAddRm(out: ServiceSpec, f: ServiceUpdateFlags): void {
  for (const flag of ['genericResourceAdd', 'genericResourceRm'] as const) {
    if ((f[flag] ?? []).length > 0) {
      const name = flag === 'genericResourceAdd' ? '--generic-resource-add' : '--generic-resource-rm';
      throw new UserError(`${name}: not supported: tsswarm's service spec has no generic resources (reserve CPUs and memory with --reserve-cpu / --reserve-memory)`, { exitCode: 2 });
    }
  }
  const c = out.task.container;
  if (any(f.labelAdd, f.labelRm)) out.labels = addRmMap('--label', out.labels, f.labelAdd ?? [], f.labelRm ?? []);
  if (any(f.containerLabelAdd, f.containerLabelRm)) c.labels = addRmMap('--container-label', c.labels, f.containerLabelAdd ?? [], f.containerLabelRm ?? []);
  if (any(f.mountAdd, f.mountRm)) {
    const add = (f.mountAdd ?? []).map((v) => mount(v, '--mount-add'));
    const targets = add.map((m) => m.target);
    const dup = targets.find((t, i) => targets.indexOf(t) !== i);
    if (dup !== undefined) throw new UserError(`--mount-add: target ${dup} given twice`, { exitCode: 2 });
    c.mounts = addRm(c.mounts, add, (f.mountRm ?? []).map((t) => rmKey('--mount-rm', t)), (m) => m.target);
  }
  if (any(f.secretAdd, f.secretRm)) {
    distinctTargets('--secret-add', f.secretAdd ?? []);
    const gone = new Set(f.secretRm ?? []);
    c.secrets = addRm(c.secrets.filter((r) => !gone.has(r.name)), f.secretAdd ?? [], [], (r) => r.target.name);
  }
  if (any(f.configAdd, f.configRm)) {
    distinctTargets('--config-add', f.configAdd ?? []);
    const gone = new Set(f.configRm ?? []);
    c.configs = addRm(c.configs.filter((r) => !gone.has(r.name)), f.configAdd ?? [], [], (r) => r.target.name);
  }
  applyPlacementAddRm(out.task.placement, f);
  applyResolverAddRm(c, f);
  if (f.args !== undefined) {
    try {
      c.args = shellSplit(f.args);
    } catch (e) {
      bad('--args', f.args, `a command line (${(e as Error).message})`);
    }
  }
}

const any = (...xs: Array<readonly unknown[] | undefined>): boolean => xs.some((x) => (x ?? []).length > 0);

function applyPlacementAddRm(pl: TaskSpec['placement'], f: ServiceUpdateFlags): void {
  if (any(f.constraintAdd, f.constraintRm)) {
    const add = (f.constraintAdd ?? []).map((v) => constraintFlag('--constraint-add', v));
    pl.constraints = addRm(pl.constraints, add, (f.constraintRm ?? []).map((v) => constraintKey(rmKey('--constraint-rm', v))), constraintKey);
  }
  if (any(f.placementPrefAdd, f.placementPrefRm)) {
    const add = (f.placementPrefAdd ?? []).map((v) => placementPref('--placement-pref-add', v));
    pl.preferences = addRm(pl.preferences, add, (f.placementPrefRm ?? []).map((v) => placementPref('--placement-pref-rm', v).spread), (p) => p.spread);
  }
}

/** Groups, nameservers, resolver options, search domains, hosts. */
function applyResolverAddRm(c: TaskSpec['container'], f: ServiceUpdateFlags): void {
  const list = (cur: string[], addFlag: string, add: string[] | undefined, rmFlag: string, rm: string[] | undefined, check: (flag: string, v: string) => string): string[] =>
    addRm(cur, unique((add ?? []).map((v) => check(addFlag, v))), (rm ?? []).map((v) => rmKey(rmFlag, v)), (x) => x);
  if (any(f.groupAdd, f.groupRm)) c.groups = list(c.groups, '--group-add', f.groupAdd, '--group-rm', f.groupRm, groupName);
  if (any(f.dnsAdd, f.dnsRm)) c.dns = { ...c.dns, nameservers: list(c.dns.nameservers, '--dns-add', f.dnsAdd, '--dns-rm', f.dnsRm, nameserver) };
  if (any(f.dnsOptionAdd, f.dnsOptionRm)) c.dns = { ...c.dns, options: list(c.dns.options, '--dns-option-add', f.dnsOptionAdd, '--dns-option-rm', f.dnsOptionRm, dnsOption) };
  if (any(f.dnsSearchAdd, f.dnsSearchRm)) c.dns = { ...c.dns, search: list(c.dns.search, '--dns-search-add', f.dnsSearchAdd, '--dns-search-rm', f.dnsSearchRm, searchDomain) };
  if (any(f.hostAdd, f.hostRm)) {
    const add = unique((f.hostAdd ?? []).map((v) => hostEntry('--host-add', v)));
    c.hosts = unique([...removeHosts(c.hosts, f.hostRm ?? []), ...add]);
  }
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
  applyAddRm(out, f);
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
  return withinLimits(applyCommonFlags(out, f), true);
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
export function parseFileRefFlag(flag: '--secret' | '--config' | '--secret-add' | '--config-add', v: string): FileRefFlag {
  if (!v.includes('=')) return { source: v, target: v, uid: '0', gid: '0', mode: 0o444 };
  const f = keyValues(flag, v.split(','));
  const source = f.source ?? f.src ?? '';
  if (!source) bad(flag, v, 'source=NAME[,target=...,uid=...,gid=...,mode=0444]');
  const mode = f.mode === undefined ? 0o444 : /^0?[0-7]{3,4}$/.test(f.mode) ? parseInt(f.mode, 8) : bad(flag, v, 'mode as octal, e.g. 0400');
  return { source, target: f.target ?? source, uid: f.uid ?? '0', gid: f.gid ?? '0', mode };
}
