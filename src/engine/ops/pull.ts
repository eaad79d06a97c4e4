/**
 * `pull`: fetches the images of a project's services, each with the credentials the Docker CLI
 * would send to its registry. A service that can be built only warns when its pull fails (it will
 * be built); others fail the command unless failures are ignored. Images already present are
 * skipped under the `missing` policy (from --policy or the service's pull_policy), so offline
 * machines can still run `pull` on a built project.
 */
import type { ServiceConfig } from '../../compose/types.js';
import { loadRegistryAuth, type RegistryAuthLookup } from '../../registry/credentials.js';
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { UserError } from '../../util/errors.js';
import { layerEvent } from '../layer-progress.js';
import type { ProgressSink } from '../progress.js';
import { serviceImage } from '../project-names.js';
import { registryFailure, registryFailureError, type RegistryFailure } from '../registry-failure.js';
import { checkServices, type Scope } from './scope.js';

export interface PullOptions {
  services: string[];
  ignoreFailures?: boolean;
  ignoreBuildable?: boolean;
  /** --policy: "missing" skips present images; "always" pulls everything. */
  policy?: 'missing' | 'always';
  includeDeps?: boolean;
  /** -q: no per-layer progress (the service's own lines still go to the sink). */
  quiet?: boolean;
  /** Credentials per image; by default those of the Docker CLI's config. */
  auth?: RegistryAuthLookup;
}

export interface PullOutcome {
  service: string;
  image: string;
  result: 'pulled' | 'present' | 'skipped' | 'failed';
  failure?: RegistryFailure;
}

export async function pullCommand(runtime: ContainerRuntime, scope: Scope, opts: PullOptions, progress: ProgressSink): Promise<PullOutcome[]> {
  const project = scope.project;
  if (!project) throw new UserError('pull needs the compose file', { code: 'not-found' });
  checkServices(scope, opts.services);
  let names = opts.services.length ? [...opts.services] : Object.keys(project.services);
  if (opts.includeDeps) names = withDeps(names, (n) => project.services[n]);
  const outcomes = await Promise.all(names.sort().map((name) => pullOne(runtime, scope, project.services[name]!, opts, progress)));
  // A buildable service's failure is only a warning: `up` builds it.
  const fatal = outcomes.filter((o) => o.result === 'failed' && !project.services[o.service]!.build);
  if (fatal.length && !opts.ignoreFailures) throw registryFailureError(fatal.map((o) => o.failure!), 'to pull the others and exit 0 anyway: --ignore-pull-failures');
  return outcomes;
}

function withDeps(names: string[], svc: (n: string) => ServiceConfig | undefined): string[] {
  const out = new Set<string>();
  const visit = (n: string): void => {
    if (out.has(n)) return;
    out.add(n);
    for (const d of Object.keys(svc(n)?.depends_on ?? {})) visit(d);
  };
  names.forEach(visit);
  return [...out];
}

async function pullOne(runtime: ContainerRuntime, scope: Scope, svc: ServiceConfig, opts: PullOptions, progress: ProgressSink): Promise<PullOutcome> {
  const image = serviceImage(scope.project!, svc);
  const resource = svc.name;
  const base = { service: svc.name, image };
  // A service without `image:` only has a build; nothing to pull. So for pull_policy build/never.
  if (!svc.image || (svc.build && opts.ignoreBuildable) || svc.pull_policy === 'build' || svc.pull_policy === 'never') {
    progress({ resource, text: 'Skipped', status: 'done', detail: svc.image ? `pull_policy ${svc.pull_policy ?? 'build'}` : 'No image to be pulled' });
    return { ...base, result: 'skipped' };
  }
  const policy = opts.policy ?? (svc.pull_policy === 'missing' || svc.pull_policy === 'if_not_present' ? 'missing' : 'always');
  if (policy === 'missing') {
    const present = await runtime.inspectImage(image).then(
      () => true,
      () => false,
    );
    if (present) {
      progress({ resource, text: 'Skipped - Image is already present locally', status: 'done' });
      return { ...base, result: 'present' };
    }
  }
  progress({ resource, text: 'Pulling', status: 'working' });
  try {
    const auth = await (opts.auth ?? ((i: string) => loadRegistryAuth(i)))(image);
    await runtime.pullImage(
      image,
      (p) => {
        const e = opts.quiet ? undefined : layerEvent(resource, p);
        if (e) progress(e);
      },
      auth,
    );
  } catch (e) {
    const failure = registryFailure('pull', svc.name, image, e);
    progress({ resource, text: 'Error', status: svc.build || opts.ignoreFailures ? 'warning' : 'error', detail: failure.message.replace(`service ${svc.name}: `, '') });
    return { ...base, result: 'failed', failure };
  }
  progress({ resource, text: 'Pulled', status: 'done' });
  return { ...base, result: 'pulled' };
}
