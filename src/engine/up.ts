import type { Project } from '../compose/types.js';
import type { RegistryAuthLookup } from '../registry/credentials.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { executePlan, reportPlan } from './executor.js';
import { ensureImages } from './images.js';
import { observe, type ObservedState } from './observed.js';
import { serviceImage } from './project-names.js';
import { preflight } from './preflight.js';
import type { Plan } from './plan.js';
import { noProgress, type ProgressSink } from './progress.js';
import { planUp } from './reconcile.js';
import { withDependencies } from './dependencies.js';
import { waitForCondition } from './wait-condition.js';
import { UserError } from '../util/errors.js';
import { projectStateDir } from './state-dir.js';
import { contentDigests, type ContentDigests } from './content-digest.js';

export interface UpOptions {
  /** Services named on the command line; empty = all. */
  services?: string[];
  noDeps?: boolean;
  scale?: Record<string, number>;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  /** --always-recreate-deps: recreate the dependencies of the named services even if unchanged. */
  alwaysRecreateDeps?: boolean;
  /** -V: recreate the named services (all when none is named) with new anonymous volumes. */
  renewAnonVolumes?: boolean;
  noStart?: boolean;
  removeOrphans?: boolean;
  build?: boolean;
  noBuild?: boolean;
  pull?: string;
  /** Stop timeout in seconds. */
  timeout?: number;
  /** --wait: block until every started container is running/healthy. */
  wait?: boolean;
  waitTimeoutMs?: number;
  progress?: ProgressSink;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
  /** --dry-run: plan against what the engine holds and print the plan; nothing is pulled, built, created or started. */
  dryRun?: boolean;
  /** Registry credentials per image for pulls; by default those of the Docker CLI's config. */
  auth?: RegistryAuthLookup;
  /** Build log lines of the services built (watch's rebuilds show them). */
  onBuildOutput?: (service: string, line: string) => void;
}

export interface UpResult {
  plan: Plan;
  services: string[];
  /** The project as observed before the plan was made. */
  observed: ObservedState;
  /** Image reference -> the id containers were compared against. */
  images: Record<string, string>;
  /** The digests of secrets and configs the config hashes folded in (content-digest.ts). */
  contentDigests: ContentDigests;
}

/** Converges the engine to the project: images, preflight, observe, plan, apply, then --wait. */
export async function up(runtime: ContainerRuntime, project: Project, opts: UpOptions = {}): Promise<UpResult> {
  const progress = opts.progress ?? noProgress;
  const named = opts.services?.length ? opts.services : undefined;
  const services = named ? (opts.noDeps ? named : withDependencies(project, named)) : Object.keys(project.services);
  for (const s of services) {
    if (!project.services[s]) throw new UserError(`no such service: ${s}`, { code: 'not-found' });
  }
  const env = opts.env ?? process.env;
  const [images, observed, digests] = await Promise.all([
    opts.dryRun ? localImages(runtime, project, services, progress) : ensureImages(runtime, project, services, {
      ...(opts.build ? { build: true } : {}),
      ...(opts.pull ? { pull: opts.pull } : {}),
      ...(opts.auth ? { auth: opts.auth } : {}),
      ...(opts.onBuildOutput ? { onBuildOutput: opts.onBuildOutput } : {}),
      progress,
    }),
    observe(runtime, project.name),
    contentDigests(project, services, env),
    preflight(runtime, project, services),
  ]);
  const plan = planUp(project, observed, {
    services,
    ...(named ? { targets: named } : {}),
    ...(opts.scale ? { scale: opts.scale } : {}),
    ...(opts.forceRecreate ? { forceRecreate: true } : {}),
    ...(opts.noRecreate ? { noRecreate: true } : {}),
    ...(opts.alwaysRecreateDeps ? { recreateDependencies: true } : {}),
    ...(opts.renewAnonVolumes ? { renewAnonVolumes: true } : {}),
    ...(opts.noStart ? { noStart: true } : {}),
    ...(opts.removeOrphans ? { removeOrphans: true } : {}),
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
    imageIds: images.ids,
    imageVolumes: images.volumes,
    env,
    stateDir: projectStateDir(project.name, env),
    contentDigests: digests,
  });
  if (opts.dryRun) {
    reportPlan(plan, progress);
    return { plan, services, observed, images: {}, contentDigests: digests };
  }
  await executePlan(runtime, plan, {
    progress,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.waitTimeoutMs !== undefined ? { waitTimeoutMs: opts.waitTimeoutMs } : {}),
  });
  if (opts.wait && !opts.noStart) await waitRunning(runtime, project, services, opts);
  const refs: Record<string, string> = {};
  for (const [name, id] of Object.entries(images.ids)) refs[serviceImage(project, project.services[name]!)] = id;
  return { plan, services, observed, images: refs, contentDigests: digests };
}

/** --dry-run's images: the ids the engine holds; one that is missing would be pulled or built. */
type ImageIds = { ids: Record<string, string>; volumes: Record<string, string[]> };

async function localImages(runtime: ContainerRuntime, project: Project, services: string[], progress: ProgressSink): Promise<ImageIds> {
  const ids: Record<string, string> = {};
  const volumes: Record<string, string[]> = {};
  for (const name of services) {
    const svc = project.services[name]!;
    const ref = serviceImage(project, svc);
    const info = await runtime.inspectImage(ref).catch(() => undefined);
    if (info) ids[name] = info.id;
    if (info?.volumes?.length) volumes[name] = info.volumes;
    if (!info) progress({ resource: `DRY-RUN MODE - Image ${ref}`, text: svc.build ? 'Built' : 'Pulled', status: 'done' });
  }
  return { ids, volumes };
}

/** --wait: every container of the services is running, and healthy when it has a healthcheck. */
async function waitRunning(runtime: ContainerRuntime, project: Project, services: string[], opts: UpOptions): Promise<void> {
  const current = await observe(runtime, project.name);
  const progress = opts.progress ?? noProgress;
  await Promise.all(current.containers.filter((c) => !c.oneOff && services.includes(c.service)).map(async (c) => {
    progress({ resource: `Container ${c.name}`, text: 'Waiting', status: 'working' });
    await waitForCondition(runtime, c.service, c.name, 'running_or_healthy', {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.waitTimeoutMs !== undefined ? { timeoutMs: opts.waitTimeoutMs } : {}),
    });
    // Containers without a healthcheck are waited for until running, and reported as such.
    progress({ resource: `Container ${c.name}`, text: c.health ? 'Healthy' : 'Running', status: 'done' });
  }));
}
