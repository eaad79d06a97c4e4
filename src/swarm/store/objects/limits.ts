import type { ServiceSpec } from './service.js';
import type { NetworkSpec } from './network.js';
import { MAX_CONFIG_BYTES } from './config.js';

/**
 * Bounds on every field a client can write, defined once and applied alike by the manager API
 * (400 with the field), the `service create|update` flags (exit 2) and `stack deploy` (the
 * service and compose key); the table is in specs/api.md. One accepted `service create
 * --replicas 1000000000` made the orchestrator fail on every manager ("Set maximum size
 * exceeded") at 2.6 GB, and `service rm` then failed too.
 *
 * They are deliberately **not** part of the store's schemas: an object already in a raft log or
 * snapshot must keep decoding whatever a newer build allows, or a replica could not replay its own
 * log. Control loops check stored services with the same function and mark those out of bounds
 * instead of acting on them (manager/loop-problems.ts).
 */
export const LIMITS = Object.freeze({
  replicas: 10_000,
  /** Names of services, networks, secrets, configs (also nameSchema's 63). */
  nameChars: 63,
  imageChars: 512,
  labels: 64,
  labelKeyChars: 128,
  labelValueChars: 4096,
  envEntries: 1024,
  envEntryChars: 32 * 1024,
  /** command and args, each. */
  argEntries: 256,
  argChars: 16 * 1024,
  pathChars: 4096,
  userChars: 256,
  hostnameChars: 253,
  mounts: 64,
  /** Nameservers, search domains and resolver options, each. */
  dnsEntries: 32,
  dnsEntryChars: 253,
  /** `--host` entries (`HOST:IP`). */
  hosts: 256,
  hostEntryChars: 300,
  /** `--group` entries (names or ids). */
  groups: 64,
  /** After ranges are expanded (`8000-8099:80` is 100 ports). */
  ports: 1024,
  networks: 32,
  aliases: 32,
  aliasChars: 253,
  secrets: 128,
  configs: 128,
  fileTargetChars: 4096,
  constraints: 64,
  constraintChars: 256,
  preferences: 16,
  dependsOn: 64,
  healthcheckTestEntries: 256,
  healthcheckTestChars: 16 * 1024,
  /** 1024 CPUs. */
  nanoCPUs: 1024 * 1_000_000_000,
  /** 16 TiB. */
  memoryBytes: 2 ** 44,
  /** Every duration: update/rollback delay and monitor, stop grace, restart delay and window, healthcheck times. */
  durationMs: 24 * 3600 * 1000,
  /** Healthcheck retries, restart attempts. */
  retries: 10_000,
  /** Update parallelism and replicas per node cannot usefully pass the replica bound. */
  parallelism: 10_000,
  forceUpdate: 2 ** 31 - 1,
  /** Decoded secret or config payload (Docker's). */
  fileDataBytes: MAX_CONFIG_BYTES,
  driverOptions: 64,
  driverOptionChars: 4096,
});

export type LimitPath = ReadonlyArray<string | number>;

/** One value out of bounds: where (relative to the object checked) and what. */
export interface LimitProblem {
  path: LimitPath;
  message: string;
}

/** `a.b[2].c` for messages; the API's `field` is `prefix.a.b.2.c` (zod's form). */
export function formatLimitPath(path: LimitPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

class Checker {
  readonly problems: LimitProblem[] = [];
  max(path: LimitPath, value: number, max: number, unit = ''): void {
    if (value > max) this.problems.push({ path, message: `${value}${unit} is more than ${max}${unit}` });
  }
  chars(path: LimitPath, s: string, max: number): void {
    if (s.length > max) this.problems.push({ path, message: `${s.length} characters, at most ${max}` });
  }
  list<T>(path: LimitPath, xs: readonly T[], max: number, each?: (x: T, at: LimitPath) => void): void {
    if (xs.length > max) {
      this.problems.push({ path, message: `${xs.length} entries, at most ${max}` });
      return;
    }
    if (each) xs.forEach((x, i) => each(x, [...path, i]));
  }
  strings(path: LimitPath, xs: readonly string[], max: number, chars: number): void {
    this.list(path, xs, max, (x, at) => this.chars(at, x, chars));
  }
  labels(path: LimitPath, labels: Readonly<Record<string, string>>): void {
    const entries = Object.entries(labels);
    if (entries.length > LIMITS.labels) return void this.problems.push({ path, message: `${entries.length} labels, at most ${LIMITS.labels}` });
    for (const [k, v] of entries) {
      // The key is named by its length only: it may be huge, and a message must stay one line.
      if (k.length > LIMITS.labelKeyChars) this.problems.push({ path, message: `a label key of ${k.length} characters, at most ${LIMITS.labelKeyChars}` });
      else this.chars([...path, k], v, LIMITS.labelValueChars);
    }
  }
  duration(path: LimitPath, ms: number): void {
    if (ms > LIMITS.durationMs) this.problems.push({ path, message: `${ms} ms is more than ${LIMITS.durationMs} ms (24 h)` });
  }
}

/** Every bound of a service spec (all problems, in field order). */
export function serviceSpecProblems(spec: ServiceSpec): LimitProblem[] {
  const c = new Checker();
  c.chars(['name'], spec.name, LIMITS.nameChars);
  c.labels(['labels'], spec.labels);
  if (spec.mode.type === 'replicated') c.max(['mode', 'replicas'], spec.mode.replicas, LIMITS.replicas);
  const t = spec.task;
  const k = t.container;
  const ct = ['task', 'container'];
  c.chars([...ct, 'image'], k.image, LIMITS.imageChars);
  c.strings([...ct, 'command'], k.command, LIMITS.argEntries, LIMITS.argChars);
  c.strings([...ct, 'args'], k.args, LIMITS.argEntries, LIMITS.argChars);
  c.strings([...ct, 'env'], k.env, LIMITS.envEntries, LIMITS.envEntryChars);
  c.chars([...ct, 'workdir'], k.workdir, LIMITS.pathChars);
  c.chars([...ct, 'user'], k.user, LIMITS.userChars);
  c.chars([...ct, 'hostname'], k.hostname, LIMITS.hostnameChars);
  c.labels([...ct, 'labels'], k.labels);
  c.list([...ct, 'mounts'], k.mounts, LIMITS.mounts, (m, at) => {
    c.chars([...at, 'source'], m.source, LIMITS.pathChars);
    c.chars([...at, 'target'], m.target, LIMITS.pathChars);
  });
  if (k.healthcheck) {
    const h = k.healthcheck;
    const hp = [...ct, 'healthcheck'];
    c.strings([...hp, 'test'], h.test, LIMITS.healthcheckTestEntries, LIMITS.healthcheckTestChars);
    c.duration([...hp, 'intervalMs'], h.intervalMs);
    c.duration([...hp, 'timeoutMs'], h.timeoutMs);
    c.duration([...hp, 'startPeriodMs'], h.startPeriodMs);
    c.max([...hp, 'retries'], h.retries, LIMITS.retries);
  }
  for (const kind of ['nameservers', 'search', 'options'] as const) c.strings([...ct, 'dns', kind], k.dns[kind], LIMITS.dnsEntries, LIMITS.dnsEntryChars);
  c.strings([...ct, 'hosts'], k.hosts, LIMITS.hosts, LIMITS.hostEntryChars);
  c.strings([...ct, 'groups'], k.groups, LIMITS.groups, LIMITS.userChars);
  for (const kind of ['secrets', 'configs'] as const) {
    c.list([...ct, kind], k[kind], LIMITS[kind], (r, at) => {
      c.chars([...at, 'name'], r.name, LIMITS.nameChars);
      c.chars([...at, 'target', 'name'], r.target.name, LIMITS.fileTargetChars);
      c.chars([...at, 'target', 'uid'], r.target.uid, LIMITS.userChars);
      c.chars([...at, 'target', 'gid'], r.target.gid, LIMITS.userChars);
    });
  }
  c.duration([...ct, 'stopGracePeriodMs'], k.stopGracePeriodMs);
  for (const side of ['limits', 'reservations'] as const) {
    c.max(['task', 'resources', side, 'nanoCPUs'], t.resources[side].nanoCPUs, LIMITS.nanoCPUs);
    c.max(['task', 'resources', side, 'memoryBytes'], t.resources[side].memoryBytes, LIMITS.memoryBytes);
  }
  c.duration(['task', 'restartPolicy', 'delayMs'], t.restartPolicy.delayMs);
  c.duration(['task', 'restartPolicy', 'windowMs'], t.restartPolicy.windowMs);
  c.max(['task', 'restartPolicy', 'maxAttempts'], t.restartPolicy.maxAttempts, LIMITS.retries);
  c.strings(['task', 'placement', 'constraints'], t.placement.constraints, LIMITS.constraints, LIMITS.constraintChars);
  c.list(['task', 'placement', 'preferences'], t.placement.preferences, LIMITS.preferences, (p, at) => c.chars([...at, 'spread'], p.spread, LIMITS.constraintChars));
  c.max(['task', 'placement', 'maxReplicasPerNode'], t.placement.maxReplicasPerNode, LIMITS.parallelism);
  c.list(['task', 'networks'], t.networks, LIMITS.networks, (n, at) => c.strings([...at, 'aliases'], n.aliases, LIMITS.aliases, LIMITS.aliasChars));
  c.max(['task', 'forceUpdate'], t.forceUpdate, LIMITS.forceUpdate);
  for (const which of ['update', 'rollback'] as const) {
    const u = spec[which];
    if (!u) continue;
    c.max([which, 'parallelism'], u.parallelism, LIMITS.parallelism);
    c.duration([which, 'delayMs'], u.delayMs);
    c.duration([which, 'monitorMs'], u.monitorMs);
  }
  c.list(['endpoint', 'ports'], spec.endpoint.ports, LIMITS.ports, (p, at) => c.chars([...at, 'name'], p.name, LIMITS.nameChars));
  c.list(['dependsOn'], spec.dependsOn, LIMITS.dependsOn, (d, at) => c.chars([...at, 'service'], d.service, LIMITS.nameChars));
  return c.problems;
}

/** Every bound of a network spec. */
export function networkSpecProblems(spec: NetworkSpec): LimitProblem[] {
  const c = new Checker();
  c.chars(['name'], spec.name, LIMITS.nameChars);
  c.labels(['labels'], spec.labels);
  const opts = Object.entries(spec.driverOptions);
  if (opts.length > LIMITS.driverOptions) c.problems.push({ path: ['driverOptions'], message: `${opts.length} options, at most ${LIMITS.driverOptions}` });
  else for (const [k, v] of opts) c.chars(['driverOptions', k.slice(0, LIMITS.labelKeyChars)], k + v, LIMITS.driverOptionChars);
  return c.problems;
}

/** Labels on their own (secrets, configs, node updates). */
export function labelsProblems(labels: Readonly<Record<string, string>>): LimitProblem[] {
  const c = new Checker();
  c.labels([], labels);
  return c.problems;
}
