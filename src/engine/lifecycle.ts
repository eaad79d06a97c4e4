/**
 * start/stop/restart/kill/pause/unpause/rm over a project's containers: each is a plan of one
 * operation per container, ordered by depends_on (start: dependencies first; stop: dependents first).
 */
import type { Project } from '../compose/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { dependencyOrder } from './dependencies.js';
import { executePlan } from './executor.js';
import { observe } from './observed.js';
import { PlanBuilder, type Plan } from './plan.js';
import { noProgress, type ProgressSink } from './progress.js';

export type LifecycleAction = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause' | 'rm';

export interface LifecycleOptions {
  services?: string[];
  timeout?: number;
  signal?: string;
  /** rm: also stop running containers first (-s); otherwise running ones are skipped. */
  stop?: boolean;
  volumes?: boolean;
  progress?: ProgressSink;
}

export async function lifecycle(runtime: ContainerRuntime, project: Project, action: LifecycleAction, opts: LifecycleOptions = {}): Promise<Plan> {
  const observed = await observe(runtime, project.name);
  const wanted = opts.services?.length ? opts.services : [...new Set([...Object.keys(project.services), ...observed.containers.map((c) => c.service)])];
  let order = dependencyOrder(project, wanted.filter((s) => project.services[s]));
  order = [...order, ...wanted.filter((s) => !project.services[s])];
  const stopping = action === 'stop' || action === 'kill' || action === 'rm' || action === 'pause';
  if (stopping) order.reverse();
  const b = new PlanBuilder();
  const prev = new Map<string, number[]>();
  const t = opts.timeout !== undefined ? { timeout: opts.timeout } : {};
  for (const svc of order) {
    // Ordering edges: start after dependencies, stop after dependents.
    const after = stopping
      ? order.filter((o) => project.services[o]?.depends_on[svc]).flatMap((o) => prev.get(o) ?? [])
      : Object.keys(project.services[svc]?.depends_on ?? {}).flatMap((d) => prev.get(d) ?? []);
    const ids: number[] = [];
    for (const c of observed.containers.filter((x) => x.service === svc && !x.oneOff)) {
      const running = c.status === 'running' || c.status === 'restarting';
      switch (action) {
        case 'start':
          if (!running && c.status !== 'paused') ids.push(b.add({ kind: 'start-container', name: c.name, service: svc, created: false, deps: after }));
          break;
        case 'stop':
          if (running || c.status === 'paused') ids.push(b.add({ kind: 'stop-container', name: c.name, service: svc, ...t, deps: after }));
          break;
        case 'restart':
          ids.push(b.add({ kind: 'restart-container', name: c.name, service: svc, ...t, deps: after }));
          break;
        case 'kill':
          if (running) ids.push(b.add({ kind: 'kill-container', name: c.name, service: svc, signal: opts.signal ?? 'SIGKILL', deps: after }));
          break;
        case 'rm': {
          if (running && !opts.stop) break;
          const stop = running ? b.add({ kind: 'stop-container', name: c.name, service: svc, ...t, deps: after }) : undefined;
          ids.push(b.add({ kind: 'remove-container', name: c.name, service: svc, volumes: !!opts.volumes, deps: [stop] }));
          break;
        }
        case 'pause':
        case 'unpause':
          break;
      }
    }
    prev.set(svc, ids);
  }
  const plan = b.build();
  await executePlan(runtime, plan, { progress: opts.progress ?? noProgress });
  if (action === 'pause' || action === 'unpause') {
    const progress = opts.progress ?? noProgress;
    await Promise.all(observed.containers.filter((c) => wanted.includes(c.service) && !c.oneOff && (action === 'pause' ? c.status === 'running' : c.status === 'paused')).map(async (c) => {
      if (action === 'pause') await runtime.pauseContainer(c.id);
      else await runtime.unpauseContainer(c.id);
      progress({ resource: `Container ${c.name}`, text: action === 'pause' ? 'Paused' : 'Unpaused', status: 'done' });
    }));
  }
  return plan;
}
