/**
 * The planners' entry points: `planUp` (src/engine/planner/, one planner per resource kind) and
 * `planDown`. Pure functions of (project, observed state, options) to a Plan.
 */
import type { Project } from '../compose/types.js';
import type { ObservedContainer, ObservedState } from './observed.js';
import { PlanBuilder, type Plan } from './plan.js';
import { withLifecycleHooks } from './hooks.js';
import { dependencyOrder } from './dependencies.js';
import { RUNNING } from './planner/context.js';
import { orphanContainers } from './planner/orphans.js';

export { planUp, orphanContainers, type UpPlanOptions } from './planner/index.js';

export interface DownPlanOptions {
  removeOrphans?: boolean;
  volumes?: boolean;
  /** Images to remove (--rmi), resolved by the caller. */
  images?: string[];
  timeout?: number;
  /** Services to stop and remove; default all (and then networks/volumes too). */
  services?: string[];
}

/**
 * down: stop dependents before their dependencies, remove every container, then the project's
 * networks, and with -v its volumes; with --rmi its images.
 */
export function planDown(project: Project, observed: ObservedState, opts: DownPlanOptions = {}): Plan {
  const b = new PlanBuilder();
  const all = !opts.services;
  const selected = new Set(opts.services ?? Object.keys(project.services));
  const order = dependencyOrder(project, [...selected]).reverse(); // dependents first
  const stopOps = new Map<string, number[]>();
  const removeOps: number[] = [];
  const timeout = opts.timeout !== undefined ? { timeout: opts.timeout } : {};
  const orphans = new Set(orphanContainers(project, observed).map((c) => c.id));
  const containersOf = (svc: string): ObservedContainer[] => observed.containers.filter((c) => c.service === svc && !c.oneOff).sort((a, b2) => b2.number - a.number);

  for (const name of order) {
    const svc = project.services[name];
    // A service stops after every running service that depends on it has stopped.
    const dependents = order.filter((o) => project.services[o]?.depends_on[name]).flatMap((o) => stopOps.get(o) ?? []);
    const stops: number[] = [];
    for (const c of containersOf(name)) {
      const stop = RUNNING.has(c.status) ? b.add({ kind: 'stop-container', name: c.name, service: name, cause: 'down', ...timeout, deps: dependents }) : undefined;
      if (stop !== undefined) stops.push(stop);
      removeOps.push(b.add({ kind: 'remove-container', name: c.name, service: name, volumes: !!opts.volumes, cause: 'down', deps: [stop ?? undefined, ...(stop === undefined ? dependents : [])] }));
    }
    stopOps.set(name, stops);
    void svc;
  }
  // One-off containers (run) of the selected services go too.
  for (const c of observed.containers.filter((c) => c.oneOff && selected.has(c.service))) {
    removeOps.push(b.add({ kind: 'remove-container', name: c.name, service: c.service, volumes: true, cause: 'one-off container' }));
  }
  if (all) {
    const remaining = observed.containers.filter((c) => orphans.has(c.id));
    if (opts.removeOrphans) {
      for (const c of remaining) {
        const stop = RUNNING.has(c.status) ? b.add({ kind: 'stop-container', name: c.name, service: c.service, cause: 'orphan', ...timeout }) : undefined;
        removeOps.push(b.add({ kind: 'remove-container', name: c.name, service: c.service, volumes: !!opts.volumes, cause: 'orphan', deps: [stop] }));
      }
    } else if (remaining.length) {
      b.warnings.push(`found orphan containers (${remaining.map((c) => c.name).join(', ')}) for this project; run with --remove-orphans to remove them`);
    }
    const declaredNetworks = new Set(Object.entries(project.networks).filter(([, n]) => !n.external).map(([, n]) => n.name));
    for (const n of observed.networks) {
      if (declaredNetworks.has(n.name) || n.key === 'default' || opts.removeOrphans || !project.networks[n.key]) {
        if (project.networks[n.key]?.external) continue;
        b.add({ kind: 'remove-network', name: n.name, cause: 'down', deps: removeOps });
      }
    }
    if (opts.volumes) {
      for (const v of observed.volumes) {
        if (project.volumes[v.key]?.external) continue;
        b.add({ kind: 'remove-volume', name: v.name, cause: 'down --volumes', deps: removeOps });
      }
    }
    for (const img of opts.images ?? []) b.add({ kind: 'remove-image', name: img, cause: 'down --rmi', deps: removeOps });
  }
  return withLifecycleHooks(b.build(), project);
}
