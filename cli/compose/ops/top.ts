/** `tscompose top`: each running container's processes, one table per container. */
import { renderTable, topCommand } from '../../../src/engine/ops/top.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';

export async function top(services: string[], flags: GlobalOptions): Promise<number> {
  const { runtime, scope } = await opsContext(flags, { services });
  const tops = await topCommand(runtime, scope, services);
  process.stdout.write(tops.map((t) => `${t.name}\n${renderTable(t.top.titles, t.top.processes)}`).join('\n'));
  return 0;
}
