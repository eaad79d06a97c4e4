/**
 * start, stop, restart, kill, pause, unpause: one engine call per container, services walked in
 * dependency order (start forwards, stop backwards), the containers of one service in parallel.
 * Each reports Compose's progress words through the sink.
 */
import type { ServiceConfig } from '../../compose/types.js';
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { UserError } from '../../util/errors.js';
import { runHooks } from '../hooks.js';
import type { ProgressSink } from '../progress.js';
import { waitForCondition } from '../wait-condition.js';
import type { Scope } from './scope.js';
import { dependencyGraph, startLayers, withRestartDependents } from './service-order.js';
import { noContainers, selectContainers, type OneOffFilter, type ProjectContainer } from './select-containers.js';

export type LifecycleAction = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause';

export interface LifecycleOptions {
  services: string[];
  /** stop/restart: seconds before SIGKILL. */
  timeout?: number;
  /** kill: the signal. */
  signal?: string;
  /** restart: only the named services, not their `restart: true` dependents. */
  noDeps?: boolean;
  /** kill --remove-orphans: also remove containers of services no longer in the model. */
  removeOrphans?: boolean;
  /** start --wait: block until every started container is running, and healthy if it has a check. */
  wait?: boolean;
  waitTimeoutMs?: number;
  /** Whether one-off `run` containers are acted on; default: only by kill (as Compose). */
  oneOff?: OneOffFilter;
}

const WORDS: Record<LifecycleAction, [string, string]> = {
  start: ['Starting', 'Started'],
  stop: ['Stopping', 'Stopped'],
  restart: ['Restarting', 'Started'],
  kill: ['Killing', 'Killed'],
  pause: ['Pausing', 'Paused'],
  unpause: ['Unpausing', 'Unpaused'],
};

/** Which containers an action applies to: the others are left alone (Compose does the same). */
function applies(action: LifecycleAction, c: ProjectContainer): boolean {
  switch (action) {
    case 'start':
      return c.status !== 'running' && c.status !== 'paused' && c.status !== 'restarting';
    case 'stop':
      return c.status === 'running' || c.status === 'paused' || c.status === 'restarting';
    case 'kill':
    case 'pause':
      return c.status === 'running' || c.status === 'restarting';
    case 'unpause':
      return c.status === 'paused';
    case 'restart':
      return true;
  }
}

export async function lifecycleCommand(runtime: ContainerRuntime, scope: Scope, action: LifecycleAction, opts: LifecycleOptions, progress: ProgressSink): Promise<void> {
  // As Compose: kill also reaches one-off `run` containers; the others leave them alone.
  const oneOff = opts.oneOff ?? (action === 'kill' ? 'include' : 'exclude');
  const all = await selectContainers(runtime, scope, { oneOff });
  const graph = dependencyGraph(scope, all);
  // Validate names (with did-you-mean) even when the service has no containers.
  const named = opts.services.length ? await selectContainers(runtime, scope, { services: opts.services, oneOff }) : all;
  let services = opts.services.length ? [...opts.services] : [...new Set(all.map((c) => c.service))];
  if (action === 'restart' && !opts.noDeps && opts.services.length) services = withRestartDependents(services, graph);
  const containers = opts.services.length ? all.filter((c) => services.includes(c.service)) : named;
  if (!containers.length) {
    if (action === 'start' || action === 'restart') throw noContainers(scope, opts.services);
    if (opts.removeOrphans && scope.project) await removeOrphans(runtime, scope, all, progress);
    // Stopping (or killing, pausing) what does not exist is already the desired state.
    return;
  }
  const layers = startLayers([...new Set(containers.map((c) => c.service))], graph);
  if (action === 'stop' || action === 'kill' || action === 'pause') layers.reverse();
  if (action === 'kill' && !containers.some((c) => applies('kill', c))) {
    throw new UserError(`no running containers to kill in project ${scope.name}`, { code: 'conflict' });
  }
  const [doing, done] = WORDS[action];
  for (const layer of layers) {
    const targets = containers.filter((c) => layer.includes(c.service) && applies(action, c));
    await Promise.all(
      targets.map(async (c) => {
        const resource = `Container ${c.name}`;
        progress({ resource, text: doing, status: 'working' });
        try {
          await runOne(runtime, action, c, opts, scope.project?.services[c.service]);
        } catch (e) {
          progress({ resource, text: 'Error', status: 'error', detail: e instanceof Error ? e.message : String(e) });
          throw e;
        }
        progress({ resource, text: done, status: 'done' });
      }),
    );
  }
  if (opts.wait && (action === 'start' || action === 'restart')) await waitHealthy(runtime, containers, opts, progress);
  if (opts.removeOrphans && scope.project) await removeOrphans(runtime, scope, all, progress);
}

/** Containers whose service is neither active nor disabled by a profile: left from an older file. */
async function removeOrphans(runtime: ContainerRuntime, scope: Scope, all: ProjectContainer[], progress: ProgressSink): Promise<void> {
  const project = scope.project!;
  const orphans = all.filter((c) => !project.services[c.service] && !project.disabledServices[c.service]);
  await Promise.all(
    orphans.map(async (c) => {
      const resource = `Container ${c.name}`;
      progress({ resource, text: 'Removing', status: 'working' });
      await runtime.removeContainer(c.id, { force: true });
      progress({ resource, text: 'Removed', status: 'done' });
    }),
  );
}

async function waitHealthy(runtime: ContainerRuntime, containers: ProjectContainer[], opts: LifecycleOptions, progress: ProgressSink): Promise<void> {
  await Promise.all(
    containers.map(async (c) => {
      const resource = `Container ${c.name}`;
      progress({ resource, text: 'Waiting', status: 'working' });
      try {
        await waitForCondition(runtime, c.service, c.name, 'running_or_healthy', opts.waitTimeoutMs !== undefined ? { timeoutMs: opts.waitTimeoutMs } : {});
      } catch (e) {
        progress({ resource, text: 'Error', status: 'error', detail: e instanceof Error ? e.message : String(e) });
        throw e;
      }
      progress({ resource, text: 'Healthy', status: 'done' });
    }),
  );
}

async function runOne(runtime: ContainerRuntime, action: LifecycleAction, c: ProjectContainer, opts: LifecycleOptions, svc: ServiceConfig | undefined): Promise<void> {
  const t = opts.timeout !== undefined ? { timeout: opts.timeout } : {};
  switch (action) {
    case 'start':
      await runtime.startContainer(c.id);
      if (svc?.post_start?.length) await runHooks(runtime, c.id, c.service, 'post_start', svc.post_start);
      return;
    case 'stop':
      if (svc?.pre_stop?.length) await runHooks(runtime, c.id, c.service, 'pre_stop', svc.pre_stop);
      return runtime.stopContainer(c.id, t);
    case 'restart':
      return runtime.restartContainer(c.id, t);
    case 'kill':
      return runtime.killContainer(c.id, opts.signal ?? 'SIGKILL');
    case 'pause':
      return runtime.pauseContainer(c.id);
    case 'unpause':
      return runtime.unpauseContainer(c.id);
  }
}
