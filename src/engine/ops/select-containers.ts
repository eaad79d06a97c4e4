/**
 * Finding a project's containers by Compose's labels: by service, one-off or not, by index. Every
 * day-2 command starts here, so the "nothing found" errors are worded once, with what to do next.
 */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { ContainerSummary } from '../../runtime/types.js';
import { UserError } from '../../util/errors.js';
import { LABEL } from '../labels.js';
import { checkServices, type Scope } from './scope.js';

/**
 * One project container: the engine's summary with its Compose labels decoded. The one type every
 * command (up, ps, logs, the day-2 commands) reads project containers as.
 */
export interface ProjectContainer extends ContainerSummary {
  service: string;
  number: number;
  oneOff: boolean;
}

export type OneOffFilter = 'exclude' | 'include' | 'only';

export interface SelectOptions {
  services?: readonly string[];
  /** Compose's default for most commands is to leave `run` containers out. */
  oneOff?: OneOffFilter;
  /** Include stopped containers (default true). */
  all?: boolean;
}

export function toProjectContainer(c: ContainerSummary): ProjectContainer {
  return {
    ...c,
    name: c.name.replace(/^\//, ''),
    service: c.labels[LABEL.service] ?? '',
    number: Number(c.labels[LABEL.number] ?? 0),
    oneOff: c.labels[LABEL.oneoff] === 'True',
  };
}

/** The short name Compose prints in prefixes and progress lines: "web-1" (one-offs keep their name). */
export function displayName(c: ProjectContainer, project: string): string {
  if (c.oneOff) return c.name.startsWith(`${project}-`) ? c.name.slice(project.length + 1) : c.name;
  return c.name === `${project}-${c.service}-${c.number}` ? `${c.service}-${c.number}` : c.name;
}

/** Orders by service, then number: the order Compose lists and prefixes them in. */
export function byServiceAndNumber(a: ProjectContainer, b: ProjectContainer): number {
  return a.service.localeCompare(b.service) || Number(a.oneOff) - Number(b.oneOff) || a.number - b.number || a.name.localeCompare(b.name);
}

/**
 * The project's containers matching the options. Named services are validated first (against the
 * model when loaded, else against the services that have containers) so a typo is reported as
 * "no such service" rather than as an empty result.
 */
export async function selectContainers(runtime: ContainerRuntime, scope: Scope, opts: SelectOptions = {}): Promise<ProjectContainer[]> {
  const list = (await runtime.listContainers({ all: opts.all ?? true, labels: { [LABEL.project]: scope.name } })).map(toProjectContainer);
  const services = opts.services ?? [];
  if (services.length) checkServices(scope, services, list.map((c) => c.service));
  const oneOff = opts.oneOff ?? 'exclude';
  return list
    .filter((c) => (oneOff === 'exclude' ? !c.oneOff : oneOff === 'only' ? c.oneOff : true))
    .filter((c) => !services.length || services.includes(c.service))
    .sort(byServiceAndNumber);
}

/**
 * The one container a command such as exec, port or cp acts on: `--index` picks the replica (by its
 * container number), else the lowest-numbered running one.
 */
export async function selectOne(
  runtime: ContainerRuntime,
  scope: Scope,
  service: string,
  opts: { index?: number; running?: boolean; oneOff?: OneOffFilter } = {},
): Promise<ProjectContainer> {
  const all = await selectContainers(runtime, scope, { services: [service], oneOff: opts.oneOff ?? 'exclude' });
  const candidates = opts.running ? all.filter((c) => c.status === 'running' || c.status === 'restarting') : all;
  if (opts.index !== undefined) {
    if (!Number.isInteger(opts.index) || opts.index < 1) throw new UserError(`--index must be a positive integer, got ${opts.index}`, { code: 'invalid' });
    const hit = candidates.find((c) => c.number === opts.index);
    if (hit) return hit;
    const numbers = all.map((c) => c.number);
    if (all.some((c) => c.number === opts.index)) {
      throw new UserError(`container ${service} #${opts.index} is not running`, { code: 'conflict', hint: `start it with: tscompose start ${service}` });
    }
    throw new UserError(`service "${service}" has no container with index ${opts.index}`, {
      code: 'not-found',
      hint: numbers.length ? `existing indexes: ${numbers.join(', ')}` : `create it with: tscompose up -d ${service}`,
    });
  }
  const first = candidates[0];
  if (first) return first;
  if (all.length) throw new UserError(`service "${service}" is not running`, { code: 'conflict', hint: `start it with: tscompose start ${service} (or tscompose up -d ${service})` });
  throw noContainer(service);
}

export function noContainer(service: string): UserError {
  return new UserError(`service "${service}" has no container`, { code: 'not-found', hint: `create and start it with: tscompose up -d ${service}` });
}

/** The error for a command that found nothing at all to act on. */
export function noContainers(scope: Scope, services: readonly string[]): UserError {
  const what = services.length ? `services ${services.join(', ')} of project ${scope.name}` : `project ${scope.name}`;
  return new UserError(`no containers found for ${what}`, { code: 'not-found', hint: `create them with: tscompose up -d${services.length ? ' ' + services.join(' ') : ''}` });
}
