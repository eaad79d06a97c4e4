import type { Service, ServiceDependency, Task } from '../../store/index.js';
import { isLive, newestFirst, slotKey } from '../task-model.js';

/**
 * depends_on gating across the cluster: may tasks of a service start now? Level-triggered and
 * memoryless: the answer depends only on the dependencies' tasks as they are now, so a dependency
 * that later fails does not stop dependents already running (nothing here shuts tasks down), but
 * new and replacement tasks wait again until it meets the condition. The exact rule is in
 * specs/tasks.md, "Dependency gating".
 */

export type GateResult = { open: true } | { open: false; reason: string };

export interface GateInput {
  service: Service;
  services: readonly Service[];
  /** Tasks of a service, any state. */
  tasksOf: (serviceId: string) => readonly Task[];
}

export function gate(i: GateInput): GateResult {
  const reasons: string[] = [];
  for (const d of i.service.spec.dependsOn) {
    const r = checkDependency(d, i);
    if (r !== null) reasons.push(r);
  }
  return reasons.length === 0 ? { open: true } : { open: false, reason: reasons.join('; ') };
}

/** Id first, then name: an id is stable, a name may be reused after the service is removed. */
export function resolveDependency(ref: string, services: readonly Service[]): Service | undefined {
  return services.find((s) => s.id === ref) ?? services.find((s) => s.spec.name === ref);
}

/** Null when the dependency is met; otherwise the waiting reason shown by `service ps`. */
export function checkDependency(d: ServiceDependency, i: GateInput): string | null {
  const dep = resolveDependency(d.service, i.services);
  if (dep === undefined) return `waiting for ${d.service}: service not found`;
  const name = dep.spec.name;
  const tasks = i.tasksOf(dep.id);
  const live = tasks.filter(isLive);
  // What "every replica" means: the replica count, or for a global service the nodes it runs on.
  const want = dep.spec.mode.type === 'replicated' ? dep.spec.mode.replicas : new Set(live.map(slotKey)).size;
  if (dep.spec.mode.type === 'replicated' && want === 0) return null;
  if (want === 0) return `waiting for ${name}: no tasks yet`;

  if (d.condition === 'service_started') {
    const n = live.filter((t) => t.status.state === 'running').length;
    return n >= want ? null : `waiting for ${name}: ${n}/${want} tasks running`;
  }
  if (d.condition === 'service_healthy') {
    const hc = dep.spec.task.container.healthcheck;
    if (hc === null || hc.test[0] === 'NONE') return `waiting for ${name}: it has no healthcheck, so service_healthy cannot be met`;
    const n = live.filter((t) => t.status.state === 'running' && t.status.health === 'healthy').length;
    return n >= want ? null : `waiting for ${name}: ${n}/${want} tasks healthy`;
  }
  // service_completed_successfully: the newest task of every replica exited 0.
  const newest = new Map<string, Task>();
  for (const t of [...tasks].sort(newestFirst)) if (!newest.has(slotKey(t))) newest.set(slotKey(t), t);
  const replicas = [...newest.values()].filter((t) => dep.spec.mode.type !== 'replicated' || (t.slot >= 1 && t.slot <= want));
  const ok = replicas.filter((t) => t.status.state === 'complete' && (t.status.exitCode ?? 0) === 0).length;
  if (ok >= want) return null;
  const bad = replicas.find((t) => t.status.state === 'failed' || t.status.state === 'rejected' || (t.status.state === 'complete' && (t.status.exitCode ?? 0) !== 0));
  const why = bad === undefined ? '' : ` (task ${bad.id} ${bad.status.exitCode === null ? bad.status.state : `exited ${bad.status.exitCode}`})`;
  return `waiting for ${name}: ${ok}/${want} tasks completed successfully${why}`;
}
