/**
 * `wait`: blocks until the containers of the named services stop; resolves with the exit code of
 * the first one that stops (Compose's contract), optionally tearing down the rest.
 */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { Scope } from './scope.js';
import { UserError } from '../../util/errors.js';
import { noContainers, selectContainers } from './select-containers.js';

export interface WaitOptions {
  services: string[];
  signal?: AbortSignal;
}

export async function waitCommand(runtime: ContainerRuntime, scope: Scope, opts: WaitOptions): Promise<{ container: string; exitCode: number }> {
  // One-off `run` containers count too, as in Compose.
  const all = await selectContainers(runtime, scope, { services: opts.services, oneOff: 'include' });
  const containers = all.filter((c) => c.status === 'running' || c.status === 'restarting' || c.status === 'paused');
  if (!containers.length) {
    if (!all.length) throw noContainers(scope, opts.services);
    throw new UserError(`no running containers to wait for in ${opts.services.join(', ')}`, {
      code: 'conflict',
      hint: `they have already stopped: tscompose ps -a shows their exit codes`,
    });
  }
  const inner = new AbortController();
  opts.signal?.addEventListener('abort', () => inner.abort(), { once: true });
  try {
    return await Promise.race(
      containers.map(async (c) => ({ container: c.name, exitCode: await runtime.waitContainer(c.id, { condition: 'not-running', signal: inner.signal }) })),
    );
  } finally {
    // The other waits hold engine connections open; release them.
    inner.abort();
  }
}
