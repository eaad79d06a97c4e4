/** `tscompose wait SERVICE...`: blocks, prints and returns the first exit code. */
import { lifecycleCommand } from '../../../src/engine/ops/lifecycle.js';
import { removeCommand } from '../../../src/engine/ops/remove.js';
import { waitCommand } from '../../../src/engine/ops/wait.js';
import type { GlobalOptions } from '../global-options.js';
import { interruptSignal, opsContext } from './common.js';

export interface WaitFlags extends GlobalOptions {
  downProject?: boolean;
}

export async function wait(services: string[], flags: WaitFlags): Promise<number> {
  const { runtime, scope, progress } = await opsContext(flags, { services });
  const r = await waitCommand(runtime, scope, { services, signal: interruptSignal() });
  process.stdout.write(`${r.exitCode}\n`);
  if (flags.downProject) {
    // The project's containers are stopped and removed; networks stay for `down` to decide.
    try {
      await lifecycleCommand(runtime, scope, 'stop', { services: [] }, progress.sink);
      await removeCommand(runtime, scope, { services: [], force: true }, async () => true, progress.sink);
    } finally {
      progress.done();
    }
  }
  return r.exitCode;
}
