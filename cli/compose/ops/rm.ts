/** `tscompose rm`: flags -> src/engine/ops/remove.ts, with Compose's confirmation prompt. */
import { removeCommand } from '../../../src/engine/ops/remove.js';
import type { GlobalOptions } from '../global-options.js';
import { confirm, opsContext } from './common.js';

export interface RmFlags extends GlobalOptions {
  force?: boolean;
  stop?: boolean;
  volumes?: boolean;
}

export async function rm(services: string[], flags: RmFlags): Promise<number> {
  const { runtime, scope, progress } = await opsContext(flags, { services });
  try {
    const r = await removeCommand(
      runtime,
      scope,
      { services, force: flags.force ?? false, stop: flags.stop ?? false, volumes: flags.volumes ?? false },
      async (message) => {
        if (flags.force) {
          process.stdout.write(`${message}\n`);
          return true;
        }
        return confirm(message);
      },
      progress.sink,
    );
    if ('nothing' in r) process.stderr.write('No stopped containers\n');
  } finally {
    progress.done();
  }
  return 0;
}
