import type { Project, ServiceConfig } from '../compose/types.js';

/**
 * Services in dependency order (dependencies first), for walks that need a linear order. Cycles are
 * a load error in the compose model; here a cycle is broken where it is met.
 */
export function dependencyOrder(project: Project, services: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const svc = project.services[name];
    if (!svc) return;
    // A `service:X` mode or volumes_from needs X's container first, whatever the names' order.
    for (const dep of [...new Set([...Object.keys(svc.depends_on), ...serviceReferences(svc)])].sort()) if (services.includes(dep)) visit(dep);
    out.push(name);
  };
  for (const s of [...services].sort()) visit(s);
  return out;
}

/** The named services plus everything they depend on (depends_on and `service:` references), transitively (what `up web` starts). */
export function withDependencies(project: Project, names: string[]): string[] {
  const out = new Set<string>();
  const visit = (name: string): void => {
    if (out.has(name) || !project.services[name]) return;
    out.add(name);
    for (const dep of [...Object.keys(project.services[name].depends_on), ...serviceReferences(project.services[name])]) visit(dep);
  };
  names.forEach(visit);
  return [...out];
}

/** Services that reference `service` through network_mode/ipc/pid `service:` or volumes_from. */
export function serviceReferences(svc: ServiceConfig): string[] {
  const refs: string[] = [];
  for (const mode of [svc.network_mode, svc.ipc, svc.pid]) if (mode?.startsWith('service:')) refs.push(mode.slice('service:'.length));
  for (const v of svc.volumes_from ?? []) {
    if (v.startsWith('container:')) continue;
    refs.push((v.startsWith('service:') ? v.slice('service:'.length) : v).split(':')[0]!);
  }
  return refs;
}

/** Services whose namespaces (network_mode, ipc, pid `service:X`) this service joins. */
export function namespaceReferences(svc: ServiceConfig): string[] {
  return [svc.network_mode, svc.ipc, svc.pid].filter((m): m is string => !!m?.startsWith('service:')).map((m) => m.slice('service:'.length));
}
