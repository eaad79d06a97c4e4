/**
 * The pure half of `run`: a service's container spec turned into a one-off's, with the command
 * line's overrides applied (command, entrypoint, env, user, workdir, labels, ports, volumes, tty).
 * Kept apart from run.ts so every flag's effect is unit-tested without an engine.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Project } from '../../compose/types.js';
import type { ContainerSpec, MountSpec, PortBinding } from '../../runtime/types.js';
import { UserError } from '../../util/errors.js';
import { volumeName } from '../project-names.js';
import { shellWords } from './shell-words.js';

export interface RunOverrides {
  command: string[];
  entrypoint?: string;
  env: string[];
  labels: string[];
  user?: string;
  workdir?: string;
  publish: string[];
  volumes: string[];
  servicePorts?: boolean;
  useAliases?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  tty: boolean;
  interactive: boolean;
  detach?: boolean;
  /** Where relative bind sources in -v are resolved (the caller's directory, like docker run). */
  cwd: string;
}

export function applyRunOverrides(base: ContainerSpec, project: Project, service: string, o: RunOverrides): ContainerSpec {
  const spec: ContainerSpec = { ...base, labels: { ...base.labels } };
  if (o.command.length) spec.cmd = o.command;
  if (o.entrypoint !== undefined) {
    // An empty --entrypoint clears the image's entrypoint; the command then runs as is.
    spec.entrypoint = o.entrypoint === '' ? [''] : shellWords(o.entrypoint);
    if (!o.command.length) delete spec.cmd;
  }
  if (o.env.length) spec.env = mergeEnv(spec.env ?? [], o.env);
  for (const l of o.labels) {
    const [k, ...v] = l.split('=');
    if (!k) throw new UserError(`invalid label "${l}"`, { code: 'invalid', hint: 'use -l KEY=VALUE' });
    spec.labels[k] = v.join('=');
  }
  if (o.user) spec.user = o.user;
  if (o.workdir) spec.workingDir = o.workdir;
  // One-offs publish nothing unless asked: they would clash with the service's own containers.
  const ports: PortBinding[] = o.servicePorts ? [...(base.ports ?? [])] : [];
  ports.push(...o.publish.map(parsePublish));
  if (ports.length) spec.ports = ports;
  else delete spec.ports;
  if (o.volumes.length) spec.mounts = [...(spec.mounts ?? []), ...o.volumes.map((v) => parseVolume(v, project, o.cwd))];
  if (o.useAliases && spec.networks) {
    for (const ep of Object.values(spec.networks)) ep.aliases = [service, ...(ep.aliases ?? [])];
  }
  if (o.capAdd?.length) spec.capAdd = [...(spec.capAdd ?? []), ...o.capAdd];
  if (o.capDrop?.length) spec.capDrop = [...(spec.capDrop ?? []), ...o.capDrop];
  // A one-off never restarts by itself (Compose drops the service's restart policy).
  delete spec.restartPolicy;
  spec.tty = o.tty;
  const stdin = o.interactive && !o.detach;
  spec.openStdin = stdin;
  spec.attachStdin = stdin;
  return spec;
}

/** KEY=VALUE overrides an existing KEY; a bare KEY takes its value from our environment. */
export function mergeEnv(base: string[], overrides: string[], env: Record<string, string | undefined> = process.env): string[] {
  const out = new Map(base.map((e) => [e.split('=')[0]!, e]));
  for (const o of overrides) {
    if (o.includes('=')) out.set(o.split('=')[0]!, o);
    else if (env[o] !== undefined) out.set(o, `${o}=${env[o]}`);
  }
  return [...out.values()];
}

/** docker run's -p: [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL]. */
export function parsePublish(p: string): PortBinding {
  const m = /^(?:(?:\[?([0-9a-fA-F.:]+?)\]?:)?(\d+(?:-\d+)?)?:)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(p);
  if (!m) throw new UserError(`invalid port mapping "${p}"`, { code: 'invalid', hint: 'use [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. 8080:80' });
  return {
    containerPort: Number(m[3]),
    protocol: (m[4] ?? 'tcp') as PortBinding['protocol'],
    ...(m[1] ? { hostIp: m[1] } : {}),
    ...(m[2] ? { hostPort: m[2] } : {}),
  };
}

/** docker run's -v: SOURCE:TARGET[:ro|rw] (a path is a bind, a name a volume) or just TARGET. */
export function parseVolume(v: string, project: Project, cwd: string): MountSpec {
  const parts = v.split(':');
  let mode: string | undefined;
  if (parts.length === 3 || (parts.length === 2 && /^(ro|rw)$/.test(parts[1]!))) mode = parts.pop();
  if (parts.length === 1) return { type: 'volume', target: parts[0]!, ...(mode === 'ro' ? { readOnly: true } : {}) };
  const [source, target] = parts as [string, string];
  if (!target.startsWith('/')) throw new UserError(`invalid volume "${v}": the target must be an absolute path`, { code: 'invalid' });
  const readOnly = mode === 'ro' ? { readOnly: true } : {};
  if (isAbsolute(source) || source.startsWith('.') || source.startsWith('~')) {
    const host = source.startsWith('~') ? source.replace(/^~/, process.env.HOME ?? '/root') : resolve(cwd, source);
    return { type: 'bind', source: host, target, createHostPath: true, ...readOnly };
  }
  // A volume declared in the file gets its project name, like in the service's own volumes.
  const name = project.volumes[source] ? volumeName(project, source) : source;
  return { type: 'volume', source: name, target, ...readOnly };
}
