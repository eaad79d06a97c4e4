/** `tscompose logs`: flags -> src/engine/ops/logs.ts; lines written as they arrive. */
import { logsCommand } from '../../../src/engine/ops/logs.js';
import { parseTimeArg } from '../../../src/engine/ops/time-arg.js';
import type { GlobalOptions } from '../global-options.js';
import { interruptSignal, opsContext, useColour } from './common.js';
import { indexFlag, tailFlag } from '../flag-values.js';

export interface LogsFlags extends GlobalOptions {
  follow?: boolean;
  tail: string;
  since?: string;
  until?: string;
  timestamps?: boolean;
  logPrefix: boolean;
  color: boolean;
  index?: string;
}

export async function logs(services: string[], flags: LogsFlags): Promise<number> {
  const tail = tailFlag(flags.tail);
  const now = Date.now();
  const since = flags.since ? parseTimeArg('--since', flags.since, now) : undefined;
  const until = flags.until ? parseTimeArg('--until', flags.until, now) : undefined;
  const index = indexFlag(flags.index);
  const { runtime, scope } = await opsContext(flags, { services });
  await logsCommand(
    runtime,
    scope,
    {
      services,
      follow: flags.follow ?? false,
      tail,
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      timestamps: flags.timestamps ?? false,
      prefix: flags.logPrefix,
      colour: useColour(flags, !flags.color),
      ...(index !== undefined ? { index } : {}),
      ...(flags.follow ? { signal: interruptSignal() } : {}),
    },
    { stdout: (l) => process.stdout.write(`${l}\n`), stderr: (l) => process.stderr.write(`${l}\n`) },
  );
  return 0;
}
