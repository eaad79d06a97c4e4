/**
 * `push`: sends the images of a project's services to their registries, with the credentials the
 * Docker CLI would send. Every service with an `image:` is pushed (a built one also under its
 * `build.tags`); a service without one has only the local `<project>-<service>` name, which names
 * no registry, and is skipped. Pushes run a few at a time; with --ignore-push-failures a failure
 * is a warning and the others go on, otherwise the command fails after all have finished, one
 * line per failed image.
 */
import { loadRegistryAuth, type RegistryAuthLookup } from '../../registry/credentials.js';
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { UserError } from '../../util/errors.js';
import { mapLimit } from '../../util/map-limit.js';
import { withDependencies } from '../dependencies.js';
import { layerEvent } from '../layer-progress.js';
import type { ProgressSink } from '../progress.js';
import { registryFailure, registryFailureError, type RegistryFailure } from '../registry-failure.js';
import { checkServices, type Scope } from './scope.js';

export interface PushOptions {
  services: string[];
  ignoreFailures?: boolean;
  /** Also the services the named ones depend on. */
  includeDeps?: boolean;
  /** -q: no per-layer progress. */
  quiet?: boolean;
  auth?: RegistryAuthLookup;
}

export interface PushOutcome {
  service: string;
  /** The tag pushed; absent for a skipped service. */
  image?: string;
  result: 'pushed' | 'skipped' | 'failed';
  failure?: RegistryFailure;
}

/** Pushes share the engine's upload bandwidth; a few at once keep every layer line moving. */
const PARALLEL_PUSHES = 4;

export async function pushCommand(runtime: ContainerRuntime, scope: Scope, opts: PushOptions, progress: ProgressSink): Promise<PushOutcome[]> {
  const project = scope.project;
  if (!project) throw new UserError('push needs the compose file', { code: 'not-found' });
  checkServices(scope, opts.services);
  const named = opts.services.length ? [...new Set(opts.services)] : Object.keys(project.services);
  const names = (opts.includeDeps ? withDependencies(project, named) : named).sort();
  const jobs: Array<{ service: string; image: string }> = [];
  const skipped: PushOutcome[] = [];
  for (const name of names) {
    const svc = project.services[name]!;
    if (!svc.image) {
      progress({ resource: name, text: 'Skipped', status: 'done', detail: 'no image: to push to' });
      skipped.push({ service: name, result: 'skipped' });
      continue;
    }
    for (const image of new Set([svc.image, ...(svc.build?.tags ?? [])])) jobs.push({ service: name, image });
  }
  const pushed = await mapLimit(jobs, PARALLEL_PUSHES, (j) => pushOne(runtime, j.service, j.image, opts, progress));
  const failed = pushed.filter((o) => o.result === 'failed');
  if (failed.length && !opts.ignoreFailures) throw registryFailureError(failed.map((o) => o.failure!), 'to push the others and exit 0 anyway: --ignore-push-failures');
  return [...skipped, ...pushed];
}

async function pushOne(runtime: ContainerRuntime, service: string, image: string, opts: PushOptions, progress: ProgressSink): Promise<PushOutcome> {
  const resource = `Image ${image}`;
  progress({ resource, text: 'Pushing', status: 'working' });
  try {
    const auth = await (opts.auth ?? ((i: string) => loadRegistryAuth(i)))(image);
    await runtime.pushImage(
      image,
      (p) => {
        const e = opts.quiet ? undefined : layerEvent(resource, p);
        if (e) progress(e);
      },
      auth,
    );
  } catch (e) {
    const failure = registryFailure('push', service, image, e);
    progress({ resource, text: 'Error', status: opts.ignoreFailures ? 'warning' : 'error', detail: failure.message.replace(`service ${service}: `, '') });
    return { service, image, result: 'failed', failure };
  }
  progress({ resource, text: 'Pushed', status: 'done' });
  return { service, image, result: 'pushed' };
}
