/** `top`: the processes of each running project container (one-offs included, as Compose), as the engine's `ps` reports them. */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { TopResult } from '../../runtime/types.js';
import type { Scope } from './scope.js';
import { selectContainers } from './select-containers.js';

export interface ContainerTop {
  name: string;
  top: TopResult;
}

export async function topCommand(runtime: ContainerRuntime, scope: Scope, services: string[]): Promise<ContainerTop[]> {
  const containers = (await selectContainers(runtime, scope, { services, oneOff: 'include' })).filter((c) => c.status === 'running');
  return Promise.all(containers.map(async (c) => ({ name: c.name, top: await runtime.topContainer(c.id) })));
}

/** Left-aligned columns separated by three spaces, Compose's table style. */
export function renderTable(titles: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = titles.map((t, i) => Math.max(t.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(titles), ...rows.map(line)].map((l) => `${l}\n`).join('');
}
