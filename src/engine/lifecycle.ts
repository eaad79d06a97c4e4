/**
 * Stopping or killing a project's containers as a plan of one operation per container, dependents
 * first: what attached `up` does on Ctrl-C (once: stop; twice: kill). The day-2 commands (start,
 * stop, kill, ...) live in ops/lifecycle.ts and act on a Scope; this one acts on the loaded Project
 * and leaves one-off `run` containers alone, as `up` must.
 */
import type { Project } from '../compose/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { dependencyOrder } from './dependencies.js';
import { executePlan } from './executor.js';
import { observe } from './observed.js';
import { PlanBuilder, type Plan } from './plan.js';
import { noProgress, type ProgressSink } from './progress.js';

export type LifecycleAction = 'stop' | 'kill';

export interface LifecycleOptions {
  services?: string[];
  timeout?: number;
  signal?: string;
  progress?: ProgressSink;
}

export async function lifecycle(runtime: ContainerRuntime, project: Project, action: LifecycleAction, opts: LifecycleOptions = {}): Promise<Plan> {
  const observed = await observe(runtime, project.name);
  const wanted = opts.services?.length ? opts.services : [...new Set([...Object.keys(project.services), ...observed.containers.map((c) => c.service)])];
  const order = [...dependencyOrder(project, wanted.filter((s) => project.services[s])), ...wanted.filter((s) => !project.services[s])].reverse();
  const b = new PlanBuilder();
  const prev = new Map<string, number[]>();
  const t = opts.timeout !== undefined ? { timeout: opts.timeout } : {};
  for (const svc of order) {
    // A service stops only after its dependents have.
    const after = order.filter((o) => project.services[o]?.depends_on[svc]).flatMap((o) => prev.get(o) ?? []);
    const ids: number[] = [];
    for (const c of observed.containers.filter((x) => x.service === svc && !x.oneOff)) {
      const running = c.status === 'running' || c.status === 'restarting';
      if (action === 'stop' && (running || c.status === 'paused')) ids.push(b.add({ kind: 'stop-container', name: c.name, service: svc, ...t, deps: after }));
      if (action === 'kill' && running) ids.push(b.add({ kind: 'kill-container', name: c.name, service: svc, signal: opts.signal ?? 'SIGKILL', deps: after }));
    }
    prev.set(svc, ids);
  }
  const plan = b.build();
  await executePlan(runtime, plan, { progress: opts.progress ?? noProgress });
  return plan;
}
