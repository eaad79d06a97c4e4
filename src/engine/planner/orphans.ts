/** Orphans: project containers (not one-off) whose service the files no longer declare. */
import type { Project } from '../../compose/types.js';
import type { ObservedContainer, ObservedState } from '../observed.js';
import { stopAndRemove, type PlanContext } from './context.js';

export function orphanContainers(project: Project, observed: ObservedState): ObservedContainer[] {
  return observed.containers.filter((c) => !c.oneOff && !project.services[c.service] && !project.disabledServices[c.service]);
}

/** With --remove-orphans they are stopped and removed; otherwise the user is told how to. */
export function planOrphans(ctx: PlanContext): void {
  const orphans = orphanContainers(ctx.project, ctx.observed);
  if (!orphans.length) return;
  if (ctx.opts.removeOrphans) {
    for (const c of orphans) stopAndRemove(ctx, c, 'orphan');
    return;
  }
  ctx.b.warnings.push(
    `found orphan containers (${orphans.map((c) => c.name).join(', ')}) for this project; if you removed or renamed this service in your compose file, run this command with --remove-orphans to clean it up`,
  );
}
