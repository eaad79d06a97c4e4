/** `volumes`: the project's volumes on the engine, optionally only those the named services mount. */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { VolumeInfo } from '../../runtime/types.js';
import { LABEL } from '../labels.js';
import { checkServices, type Scope } from './scope.js';

export async function volumesCommand(runtime: ContainerRuntime, scope: Scope, services: string[]): Promise<VolumeInfo[]> {
  if (services.length) checkServices(scope, services);
  const all = await runtime.listVolumes({ labels: { [LABEL.project]: scope.name } });
  const list = services.length ? all.filter((v) => mountedBy(scope, services).has(v.labels[LABEL.volume] ?? '')) : all;
  return list.sort((a, b) => a.name.localeCompare(b.name));
}

/** The volume keys (as in the file) the services mount. */
function mountedBy(scope: Scope, services: string[]): Set<string> {
  const keys = new Set<string>();
  for (const s of services) for (const v of scope.project?.services[s]?.volumes ?? []) if (v.type === 'volume' && v.source) keys.add(v.source);
  return keys;
}
