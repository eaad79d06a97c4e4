/**
 * The volumes planner: each named project volume a selected service mounts is created when the
 * engine lacks it, with the project's labels. Volumes are never recreated: their data is the user's.
 */
import { COMPOSE_VERSION, LABEL } from '../labels.js';
import { volumeName } from '../project-names.js';
import type { PlanContext } from './context.js';

/** Plans volume `source` (its key in the file) once; returns the create op, if one is needed. */
export function planVolume(ctx: PlanContext, source: string): number | undefined {
  const { project, observed } = ctx;
  const cfg = project.volumes[source];
  const engineName = volumeName(project, source);
  if (cfg?.external || observed.volumes.some((o) => o.name === engineName)) return undefined;
  return ctx.b.add({
    kind: 'create-volume',
    name: engineName,
    cause: 'missing',
    spec: {
      name: engineName,
      labels: { ...(cfg?.labels ?? {}), [LABEL.project]: project.name, [LABEL.version]: COMPOSE_VERSION, [LABEL.volume]: source },
      ...(cfg?.driver ? { driver: cfg.driver } : {}),
      ...(cfg?.driver_opts ? { driverOpts: cfg.driver_opts } : {}),
    },
  });
}
