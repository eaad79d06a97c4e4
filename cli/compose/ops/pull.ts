/** `tscompose pull`: flags -> src/engine/ops/pull.ts; progress on stderr (-q: warnings only). */
import { pullCommand } from '../../../src/engine/ops/pull.js';
import { UserError } from '../../../src/util/errors.js';
import type { GlobalOptions } from '../global-options.js';
import { quietRenderer } from '../progress.js';
import { opsContext } from './common.js';

export interface PullFlags extends GlobalOptions {
  quiet?: boolean;
  ignorePullFailures?: boolean;
  ignoreBuildable?: boolean;
  includeDeps?: boolean;
  policy?: string;
}

export async function pull(services: string[], flags: PullFlags): Promise<number> {
  if (flags.policy !== undefined && flags.policy !== 'missing' && flags.policy !== 'always') {
    throw new UserError(`invalid --policy "${flags.policy}"`, { code: 'invalid', hint: 'use missing or always' });
  }
  const ctx = await opsContext(flags, { requireModel: true, services });
  const { runtime, scope } = ctx;
  const progress = flags.quiet ? quietRenderer() : ctx.progress;
  try {
    await pullCommand(
      runtime,
      scope,
      {
        services,
        ignoreFailures: flags.ignorePullFailures ?? false,
        ignoreBuildable: flags.ignoreBuildable ?? false,
        includeDeps: flags.includeDeps ?? false,
        quiet: flags.quiet ?? false,
        ...(flags.policy ? { policy: flags.policy } : {}),
      },
      progress.sink,
    );
  } finally {
    progress.done();
  }
  return 0;
}
