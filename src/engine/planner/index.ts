/**
 * The up planner: a pure function of (project, observed state, options) to a Plan. No engine
 * calls, no clock; everything it needs (config hashes, image ids) is in its inputs, so golden
 * tests pin it. It composes one planner per resource kind, in the order their operations must be
 * numbered: per service (dependencies first) its networks and volumes, then per service its
 * containers, then the restarts `restart: true` asks for, then orphans.
 */
import { notActedOnWarning } from '../unsupported-keys.js';
import type { Project } from '../../compose/types.js';
import { dependencyOrder } from '../dependencies.js';
import { withLifecycleHooks } from '../hooks.js';
import type { ObservedState } from '../observed.js';
import { PlanBuilder, type Plan } from '../plan.js';
import { serviceNetworkKeys } from '../project-names.js';
import type { PlanContext } from './context.js';
import { planNetwork } from './networks.js';
import { planOrphans } from './orphans.js';
import type { UpPlanOptions } from './options.js';
import { planDependentRestarts } from './restarts.js';
import { planService, type Infrastructure } from './service.js';
import { planVolume } from './volumes.js';

export type { UpPlanOptions } from './options.js';
export { orphanContainers } from './orphans.js';

export function planUp(project: Project, observed: ObservedState, opts: UpPlanOptions = {}): Plan {
  const selected = opts.services ?? Object.keys(project.services);
  const ctx: PlanContext = {
    b: new PlanBuilder(),
    project,
    observed,
    opts,
    selected: new Set(selected),
    order: dependencyOrder(project, selected),
    preRemoved: new Map(),
    startOps: new Map(),
    desiredNames: new Map(),
    recreated: new Set(),
  };
  const infra = planInfrastructure(ctx);
  for (const name of ctx.order) planService(ctx, name, infra);
  planDependentRestarts(ctx);
  planOrphans(ctx);
  for (const name of Object.keys(project.services).sort()) {
    if (project.services[name]!.models) ctx.b.warnings.push(`service ${name} uses models: tscompose does not drive Docker Model Runner, so no model is pulled and its variables are not set`);
    const idle = notActedOnWarning(project.services[name]!);
    if (idle) ctx.b.warnings.push(idle);
  }
  return withLifecycleHooks(ctx.b.build(), project);
}

/** Networks and volumes of the selected services, each planned once, in the services' order. */
function planInfrastructure(ctx: PlanContext): Infrastructure {
  const networks = new Map<string, number | undefined>();
  const volumes = new Map<string, number | undefined>();
  for (const name of ctx.order) {
    const svc = ctx.project.services[name]!;
    for (const key of serviceNetworkKeys(svc)) if (!networks.has(key)) networks.set(key, planNetwork(ctx, key));
    for (const v of svc.volumes) {
      if (v.type === 'volume' && v.source && !volumes.has(v.source)) volumes.set(v.source, planVolume(ctx, v.source));
    }
  }
  return { networks, volumes };
}
