/**
 * `pull`: fetches the images of a project's services. A service that can be built only warns when
 * its pull fails (it will be built); others fail the command unless failures are ignored. Images
 * already present are skipped under the `missing` policy (from --policy or the service's
 * pull_policy), so offline machines can still run `pull` on a built project.
 */
import type { ServiceConfig } from '../../compose/types.js';
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { UserError } from '../../util/errors.js';
import type { ProgressSink } from '../progress.js';
import { serviceImage } from '../project-names.js';
import { checkServices, type Scope } from './scope.js';

export interface PullOptions {
  services: string[];
  ignoreFailures?: boolean;
  ignoreBuildable?: boolean;
  /** --policy: "missing" skips present images; "always" pulls everything. */
  policy?: 'missing' | 'always';
  includeDeps?: boolean;
}

export interface PullOutcome {
  service: string;
  image: string;
  result: 'pulled' | 'present' | 'skipped' | 'failed';
  error?: string;
}

export async function pullCommand(runtime: ContainerRuntime, scope: Scope, opts: PullOptions, progress: ProgressSink): Promise<PullOutcome[]> {
  const project = scope.project;
  if (!project) throw new UserError('pull needs the compose file', { code: 'not-found' });
  checkServices(scope, opts.services);
  let names = opts.services.length ? [...opts.services] : Object.keys(project.services);
  if (opts.includeDeps) names = withDeps(names, (n) => project.services[n]);
  const outcomes = await Promise.all(names.sort().map((name) => pullOne(runtime, scope, project.services[name]!, opts, progress)));
  const failed = outcomes.filter((o) => o.result === 'failed');
  const fatal = failed.filter((o) => !project.services[o.service]!.build);
  if (fatal.length && !opts.ignoreFailures) {
    const first = fatal[0]!;
    throw new UserError(`could not pull image ${first.image} for service ${first.service}: ${first.error}`, {
      code: 'failed',
      hint: `no registry answered; build the image (add "build:" to the service and run tscompose build), load it with docker load, or skip it with --ignore-pull-failures`,
    });
  }
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
    await runtime.pullImage(image);
  } catch (e) {
    const error = e instanceof Error ? e.message.replace(/^pull image \S+: /, '') : String(e);
    progress({ resource, text: 'Error', status: svc.build || opts.ignoreFailures ? 'warning' : 'error', detail: error });
    return { ...base, result: 'failed', error };
  }
  progress({ resource, text: 'Pulled', status: 'done' });
  return { ...base, result: 'pulled' };
}
