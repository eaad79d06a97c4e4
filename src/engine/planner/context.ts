/**
 * What the resource planners share while one plan is built: the inputs, the builder, and the
 * decisions later planners read (which containers a network recreate already removes, which
 * operations start each service, which services were recreated).
 */
import type { Project } from '../../compose/types.js';
import type { ObservedContainer, ObservedState } from '../observed.js';
import type { PlanBuilder } from '../plan.js';
import type { UpPlanOptions } from './options.js';

export const RUNNING = new Set(['running', 'restarting', 'paused']);

export interface PlanContext {
  readonly b: PlanBuilder;
  readonly project: Project;
  readonly observed: ObservedState;
  readonly opts: UpPlanOptions;
  /** Services this up converges, dependencies included. */
  readonly selected: ReadonlySet<string>;
  /** `selected` in dependency order: dependencies first. */
  readonly order: readonly string[];
  /** Containers a network recreate stops and removes, by name: the remove op and why. */
  readonly preRemoved: Map<string, { op: number; cause: string }>;
  /** Per service: the operations that start its containers (gates of dependents wait on them). */
  readonly startOps: Map<string, number[]>;
  /** Per service: the container names it has once the plan ran (gates wait on them). */
  readonly desiredNames: Map<string, string[]>;
  /** Services whose containers this plan recreates. */
  readonly recreated: Set<string>;
}

/** Stop (when running) then remove: the two calls every container removal in `up` makes. */
export function stopAndRemove(ctx: PlanContext, c: ObservedContainer, cause: string): number {
  const timeout = ctx.opts.timeout !== undefined ? { timeout: ctx.opts.timeout } : {};
  const stop = RUNNING.has(c.status) ? ctx.b.add({ kind: 'stop-container', name: c.name, service: c.service, cause, ...timeout }) : undefined;
  return ctx.b.add({ kind: 'remove-container', name: c.name, service: c.service, volumes: false, cause, deps: [stop] });
}
