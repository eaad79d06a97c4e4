import { projectContainers } from '../../src/engine/containers.js';
import { down } from '../../src/engine/down.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';

export async function waitCommand(services: string[], flags: GlobalOptions & { downProject?: boolean }): Promise<number> {
  const { project, runtime, progress } = await commandContext(flags);
  const list = await projectContainers(runtime, project.name, { services, all: true });
  const waits = list.map(async (c) => {
    const code = await runtime.waitContainer(c.id);
    process.stdout.write(`${code}\n`);
    return code;
  });
  const first = flags.downProject ? await Promise.race(waits) : (await Promise.all(waits))[0] ?? 0;
  if (flags.downProject) {
    await down(runtime, project, { progress: progress.sink });
    progress.done();
  }
  return first;
}
