/**
 * `wait`: blocks until the containers of the named services stop; resolves with the exit code of
 * the first one that stops (Compose's contract), optionally tearing down the rest.
 */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { Scope } from './scope.js';
import { noContainers, selectContainers } from './select-containers.js';

export interface WaitOptions {
  services: string[];
  signal?: AbortSignal;
}

export async function waitCommand(runtime: ContainerRuntime, scope: Scope, opts: WaitOptions): Promise<{ container: string; exitCode: number }> {
  // One-off `run` containers count too, as in Compose.
  const all = await selectContainers(runtime, scope, { services: opts.services, oneOff: 'include' });
  if (!all.length) throw noContainers(scope, opts.services);
  // Running containers are what `wait` is for; when every one has already stopped, the engine's
  // wait answers at once with the exit code, as in Compose (and a kill that lands before this
  // command has listed the containers is not lost).
  const running = all.filter((c) => c.status === 'running' || c.status === 'restarting' || c.status === 'paused');
  const containers = running.length ? running : all;
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
