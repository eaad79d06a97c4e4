import { serviceImage } from '../../src/engine/project-names.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';

export async function pullCommand(services: string[], flags: GlobalOptions & { quiet?: boolean; ignorePullFailures?: boolean }): Promise<number> {
  const { project, runtime, progress } = await commandContext(flags, services);
  const names = services.length ? services : Object.keys(project.services);
  let failed = 0;
  try {
    await Promise.all(names.map(async (n) => {
      const svc = project.services[n];
      if (!svc?.image) return;
      const image = serviceImage(project, svc);
      progress.sink({ resource: `Image ${image}`, text: 'Pulling', status: 'working' });
      try {
        await runtime.pullImage(image);
        progress.sink({ resource: `Image ${image}`, text: 'Pulled', status: 'done' });
      } catch (e) {
        failed++;
        progress.sink({ resource: `Image ${image}`, text: 'Error', status: 'error', detail: e instanceof Error ? e.message : String(e) });
        if (!flags.ignorePullFailures) throw e;
      }
    }));
  } finally {
    progress.done();
  }
  return failed && !flags.ignorePullFailures ? 1 : 0;
}
