/** `tscompose events`: the project's container events, one per line (text or --json), until Ctrl-C. */
import { eventJson, eventsCommand, formatEvent } from '../../../src/engine/ops/events.js';
import { parseTimeArg } from '../../../src/engine/ops/time-arg.js';
import type { GlobalOptions } from '../global-options.js';
import { interruptSignal, opsContext } from './common.js';

export interface EventsFlags extends GlobalOptions {
  json?: boolean;
  since?: string;
  until?: string;
}

export async function events(services: string[], flags: EventsFlags): Promise<number> {
  const { runtime, scope } = await opsContext(flags, { services });
  const now = Date.now();
  await eventsCommand(
    runtime,
    scope,
    {
      services,
      ...(flags.since ? { since: parseTimeArg('--since', flags.since, now) } : {}),
      ...(flags.until ? { until: parseTimeArg('--until', flags.until, now) } : {}),
      signal: interruptSignal(),
    },
    (e) => process.stdout.write(`${flags.json ? JSON.stringify(eventJson(e)) : formatEvent(e)}\n`),
  );
  return 0;
}
