import { existsSync } from 'node:fs';
import type { Project } from '../compose/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { isEngineNotFound } from '../runtime/errors.js';
import { DiagnosticError, type Diagnostic } from '../util/errors.js';
import { serviceNetworkKeys } from './project-names.js';

/**
 * Two services with one container_name, naming both. `config` refuses them too unless
 * --no-consistency, as Compose's does.
 */
export function containerNameClashes(project: Project, services: string[] = Object.keys(project.services)): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const byContainerName = new Map<string, string>();
  for (const name of services) {
    const cn = project.services[name]?.container_name;
    if (cn === undefined) continue;
    const other = byContainerName.get(cn);
    if (other !== undefined) problems.push({ path: `services.${name}.container_name`, message: `container_name "${cn}" is already used by service "${other}"`, hint: 'container names are unique on an engine: give each service its own' });
    else byContainerName.set(cn, name);
  }
  return problems;
}

/**
 * Checks what would make the plan fail half-way, before anything is created: external networks and
 * volumes that do not exist, bind sources that do not exist (and may not be created), two
 * services with one container_name.
 */
export async function preflight(runtime: ContainerRuntime, project: Project, services: string[]): Promise<void> {
  const problems: Diagnostic[] = [];
  const externalNets = new Set<string>();
  const externalVols = new Set<string>();
  // Compose fails when the second container is created; here it fails before the first.
  problems.push(...containerNameClashes(project, services));
  for (const name of services) {
    project.services[name]?.pre_start?.forEach((h, i) => {
      if (h.per_replica) problems.push({ path: `services.${name}.pre_start[${i}].per_replica`, message: 'per_replica is not yet supported', hint: 'remove per_replica or set it to false (Compose refuses it the same way)' });
    });
  }
  for (const name of services) {
    const svc = project.services[name];
    if (!svc) continue;
    for (const key of serviceNetworkKeys(svc)) if (project.networks[key]?.external) externalNets.add(key);
    svc.volumes.forEach((v, i) => {
      if (v.type === 'volume' && v.source && project.volumes[v.source]?.external) externalVols.add(v.source);
      if (v.type === 'bind' && v.source && !v.bind?.create_host_path && !existsSync(v.source)) {
        problems.push({
          path: `services.${name}.volumes[${i}]`,
          message: `bind source path ${v.source} does not exist`,
          hint: 'create it, or drop bind.create_host_path: false to have it created',
        });
      }
    });
  }
  await Promise.all([
    ...[...externalNets].map(async (key) => {
      const n = project.networks[key]!;
      await runtime.inspectNetwork(n.name).catch((e: unknown) => {
        if (!isEngineNotFound(e)) throw e;
        problems.push({ path: `networks.${key}`, message: `network ${n.name} declared as external, but could not be found`, hint: `create it first: docker network create ${n.name}` });
      });
    }),
    ...[...externalVols].map(async (key) => {
      const v = project.volumes[key]!;
      await runtime.inspectVolume(v.name).catch((e: unknown) => {
        if (!isEngineNotFound(e)) throw e;
        problems.push({ path: `volumes.${key}`, message: `volume ${v.name} declared as external, but could not be found`, hint: `create it first: docker volume create ${v.name}` });
      });
    }),
  ]);
  if (problems.length) throw new DiagnosticError(problems);
}
