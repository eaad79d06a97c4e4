import type { Project } from '../compose/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { executePlan, reportPlan } from './executor.js';
import { LABEL } from './labels.js';
import { observe } from './observed.js';
import type { Plan } from './plan.js';
import { noProgress, type ProgressSink } from './progress.js';
import { planDown } from './reconcile.js';
import { serviceImage } from './project-names.js';
import { rm } from 'node:fs/promises';
import { projectStateDir } from './state-dir.js';

export interface DownOptions {
  volumes?: boolean;
  removeOrphans?: boolean;
  /** --rmi local: images built by the project (no explicit image:); all: every service image. */
  rmi?: 'local' | 'all';
  timeout?: number;
  services?: string[];
  progress?: ProgressSink;
  /** --dry-run: print the plan, remove nothing. */
  dryRun?: boolean;
}

export async function down(runtime: ContainerRuntime, project: Project, opts: DownOptions = {}): Promise<Plan> {
  const observed = await observe(runtime, project.name);
  const images: string[] = [];
  if (opts.rmi) {
    const candidates = new Set<string>();
    for (const svc of Object.values(project.services)) {
      if (opts.rmi === 'all' || !svc.image) candidates.add(serviceImage(project, svc));
    }
    // Remove only images that exist; built images also carry the project label.
    const present = await runtime.listImages({ labels: { [LABEL.project]: project.name } });
    for (const i of present) for (const t of i.tags) if (opts.rmi === 'all' || candidates.has(t.replace(/:latest$/, ''))) candidates.add(t);
    // Several names can point at one image; remove each image once.
    const seen = new Set<string>();
    for (const c of candidates) {
      const id = await runtime.inspectImage(c).then((i) => i.id, () => undefined);
      if (id && !seen.has(id)) {
        seen.add(id);
        images.push(c);
      }
    }
  }
  const plan = planDown(project, observed, {
    ...(opts.volumes ? { volumes: true } : {}),
    ...(opts.removeOrphans ? { removeOrphans: true } : {}),
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
    ...(opts.services?.length ? { services: opts.services } : {}),
    images: [...new Set(images)],
  });
  if (opts.dryRun) {
    reportPlan(plan, opts.progress ?? noProgress);
    return plan;
  }
  await executePlan(runtime, plan, { progress: opts.progress ?? noProgress });
  // The project's host-side files (materialized secrets) go with its containers.
  if (!opts.services?.length) await rm(projectStateDir(project.name), { recursive: true, force: true });
  return plan;
}
