/**
 * `rm`: removes a project's stopped service containers (never one-off `run` containers, like
 * Compose), after the caller's confirmation. With `stop`, running ones are stopped first.
 */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { ProgressSink } from '../progress.js';
import { lifecycleCommand } from './lifecycle.js';
import type { Scope } from './scope.js';
import { selectContainers } from './select-containers.js';

export interface RemoveOptions {
  services: string[];
  force?: boolean;
  stop?: boolean;
  volumes?: boolean;
}

/** Asked with the list of names; resolves true to go ahead. */
export type Confirm = (message: string) => Promise<boolean>;

export type RemoveResult = { removed: string[] } | { removed: []; nothing: true } | { removed: []; declined: true };

export async function removeCommand(runtime: ContainerRuntime, scope: Scope, opts: RemoveOptions, confirm: Confirm, progress: ProgressSink): Promise<RemoveResult> {
  if (opts.stop) await lifecycleCommand(runtime, scope, 'stop', { services: opts.services }, progress);
  const selected = await selectContainers(runtime, scope, { services: opts.services });
  // The list can be stale (a container may have just started or been auto-removed); inspect each.
  const stopped = [];
  for (const c of selected) {
    const info = await runtime.inspectContainer(c.id).catch(() => undefined);
    if (info && !info.running) stopped.push(c);
  }
  if (!stopped.length) return { removed: [], nothing: true };
  const message = `Going to remove ${stopped.map((c) => c.name).join(', ')}`;
  if (!(await confirm(message))) return { removed: [], declined: true };
  await Promise.all(
    stopped.map(async (c) => {
      const resource = `Container ${c.name}`;
      progress({ resource, text: 'Removing', status: 'working' });
      await runtime.removeContainer(c.id, { force: opts.force ?? false, volumes: opts.volumes ?? false });
      progress({ resource, text: 'Removed', status: 'done' });
    }),
  );
  return { removed: stopped.map((c) => c.name) };
}
