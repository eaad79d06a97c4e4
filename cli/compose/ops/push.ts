/** `tscompose push`: flags -> src/engine/ops/push.ts; progress on stderr (-q: warnings only). */
import { pushCommand } from '../../../src/engine/ops/push.js';
import type { GlobalOptions } from '../global-options.js';
import { quietRenderer } from '../progress.js';
import { opsContext } from './common.js';

export interface PushFlags extends GlobalOptions {
  quiet?: boolean;
  ignorePushFailures?: boolean;
  includeDeps?: boolean;
}

export async function push(services: string[], flags: PushFlags): Promise<number> {
  const ctx = await opsContext(flags, { requireModel: true, services });
  const progress = flags.quiet ? quietRenderer() : ctx.progress;
  try {
    await pushCommand(
      ctx.runtime,
      ctx.scope,
      { services, ignoreFailures: flags.ignorePushFailures ?? false, includeDeps: flags.includeDeps ?? false, quiet: flags.quiet ?? false },
      progress.sink,
    );
  } finally {
    progress.done();
  }
  return 0;
}
