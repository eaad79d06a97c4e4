/**
 * `depends_on: {X: {restart: true}}`: when this plan recreates X, the running containers of the
 * services depending on it are restarted after X's new containers start (as Compose does). A
 * service that is itself recreated or started by the plan needs no restart.
 */
import type { PlanContext } from './context.js';

export function planDependentRestarts(ctx: PlanContext): void {
  const { b, project, opts } = ctx;
  for (const name of ctx.order) {
    const svc = project.services[name]!;
    if (ctx.recreated.has(name) || (ctx.startOps.get(name)?.length ?? 0) > 0) continue;
    for (const [dep, d] of Object.entries(svc.depends_on)) {
      if (!d.restart || !ctx.recreated.has(dep)) continue;
      for (const c of ctx.desiredNames.get(name) ?? []) {
        b.add({
          kind: 'restart-container', name: c, service: name, cause: `dependency ${dep} recreated`,
          ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
          deps: ctx.startOps.get(dep) ?? [],
        });
      }
    }
  }
}
