import { lifecycle, type LifecycleAction } from '../../src/engine/lifecycle.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';

export async function lifecycleCommand(action: LifecycleAction, services: string[], flags: GlobalOptions & { timeout?: string; signal?: string; stop?: boolean; volumes?: boolean }): Promise<number> {
  const { project, runtime, progress } = await commandContext(flags);
  try {
    await lifecycle(runtime, project, action, {
      services,
      ...(flags.timeout !== undefined ? { timeout: Number(flags.timeout) } : {}),
      ...(flags.signal ? { signal: flags.signal } : {}),
      ...(flags.stop ? { stop: true } : {}),
      ...(flags.volumes ? { volumes: true } : {}),
      progress: progress.sink,
    });
  } finally {
    progress.done();
  }
  return 0;
}
