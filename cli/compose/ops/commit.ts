/** `tscompose commit SERVICE [REPOSITORY[:TAG]]`: prints nothing on stdout, as Compose; progress on stderr. */
import { commitCommand } from '../../../src/engine/ops/commit.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';
import { indexFlag } from '../flag-values.js';

export interface CommitFlags extends GlobalOptions {
  author?: string;
  change: string[];
  message?: string;
  pause: boolean;
  index?: string;
}

export async function commit(service: string, reference: string | undefined, flags: CommitFlags): Promise<number> {
  const index = indexFlag(flags.index);
  const { runtime, scope, progress } = await opsContext(flags, { services: [service] });
  try {
    await commitCommand(
      runtime,
      scope,
      {
        service,
        ...(reference !== undefined ? { reference } : {}),
        ...(index !== undefined ? { index } : {}),
        ...(flags.author !== undefined ? { author: flags.author } : {}),
        ...(flags.message !== undefined ? { message: flags.message } : {}),
        changes: flags.change,
        pause: flags.pause,
      },
      progress.sink,
    );
  } finally {
    progress.done();
  }
  return 0;
}
