/** `tscompose start|stop|restart|kill|pause|unpause`: flags -> src/engine/ops/lifecycle.ts. */
import { lifecycleCommand, type LifecycleAction } from '../../../src/engine/ops/lifecycle.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';
import { secondsFlag } from '../flag-values.js';

export interface LifecycleFlags extends GlobalOptions {
  timeout?: string;
  signal?: string;
  deps?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  removeOrphans?: boolean;
}

export async function lifecycle(action: LifecycleAction, services: string[], flags: LifecycleFlags): Promise<number> {
  const timeout = secondsFlag('--timeout', flags.timeout);
  const waitTimeout = secondsFlag('--wait-timeout', flags.waitTimeout);
  const { runtime, scope, progress } = await opsContext(flags, { services });
  try {
    await lifecycleCommand(
      runtime,
      scope,
      action,
      {
        services,
        ...(timeout !== undefined ? { timeout } : {}),
        ...(flags.signal ? { signal: flags.signal } : {}),
        noDeps: flags.deps === false,
        wait: flags.wait ?? false,
        removeOrphans: flags.removeOrphans ?? false,
        ...(waitTimeout ? { waitTimeoutMs: waitTimeout * 1000 } : {}),
      },
      progress.sink,
    );
  } finally {
    progress.done();
  }
  return 0;
}
