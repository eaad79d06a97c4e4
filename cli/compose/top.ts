import { projectContainers } from '../../src/engine/containers.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';
import { table } from './table.js';

export async function topCommand(services: string[], flags: GlobalOptions): Promise<number> {
  const { project, runtime } = await commandContext(flags);
  const list = await projectContainers(runtime, project.name, { services, all: false });
  for (const c of list) {
    const t = await runtime.topContainer(c.id);
    process.stdout.write(`${c.name}\n${table(t.titles, t.processes)}\n`);
  }
  return 0;
}
