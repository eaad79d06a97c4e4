/** `export`: a service container's filesystem as a tar stream, as `docker compose export`. */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { Scope } from './scope.js';
import { selectOne, type ProjectContainer } from './select-containers.js';

export interface ExportOptions {
  service: string;
  index?: number;
}

/**
 * The container (lowest-numbered, or `--index`; a stopped one too, as the engine allows) and its
 * filesystem tar. Where the bytes go is the caller's business (a file or stdout).
 */
export async function exportCommand(runtime: ContainerRuntime, scope: Scope, opts: ExportOptions): Promise<{ container: ProjectContainer; tar: NodeJS.ReadableStream }> {
  const container = await selectOne(runtime, scope, opts.service, { ...(opts.index !== undefined ? { index: opts.index } : {}) });
  return { container, tar: await runtime.exportContainer(container.id) };
}
