/** `tscompose logs`: flags -> src/engine/ops/logs.ts; lines written as they arrive. */
import { logsCommand } from '../../../src/engine/ops/logs.js';
import { parseTimeArg } from '../../../src/engine/ops/time-arg.js';
import { UserError } from '../../../src/util/errors.js';
import type { GlobalOptions } from '../global-options.js';
import { interruptSignal, intFlag, opsContext, useColour } from './common.js';

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
  const { runtime, scope } = await opsContext(flags);
  let tail: number | 'all' = 'all';
  if (flags.tail !== 'all' && flags.tail !== '-1') {
    tail = intFlag('--tail', flags.tail)!;
    if (tail < 0) throw new UserError(`--tail must be a number of lines or "all", got ${flags.tail}`, { code: 'invalid' });
  }
  const now = Date.now();
  const index = intFlag('--index', flags.index);
  await logsCommand(
    runtime,
    scope,
    {
      services,
      follow: flags.follow ?? false,
      tail,
      ...(flags.since ? { since: parseTimeArg('--since', flags.since, now) } : {}),
      ...(flags.until ? { until: parseTimeArg('--until', flags.until, now) } : {}),
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
