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
  const containers = await selectContainers(runtime, scope, { services: opts.services });
  if (!containers.length) throw noContainers(scope, opts.services);
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
