/**
 * `tscompose stats [SERVICE...]`: Docker's table (or one JSON object per line and container).
 * `--no-stream` prints one snapshot; live mode prints a frame every second until Ctrl-C, on a
 * terminal redrawn in place (the screen cleared first, as `docker stats` does), on a pipe one
 * block after another.
 */
import { statsContainers, statsLive, statsSnapshot } from '../../../src/engine/ops/stats.js';
import { STATS_TITLES, tableCells, type StatsRow } from '../../../src/engine/ops/stats-row.js';
import { renderTable } from '../../../src/engine/ops/top.js';
import { checkFormat, isTemplateFormat, renderGoFormat } from '../../../src/util/go-format.js';
import type { GlobalOptions } from '../global-options.js';
import { interruptSignal, opsContext } from './common.js';

export interface StatsFlags extends GlobalOptions {
  all?: boolean;
  format: string;
  /** `--no-stream` sets this false (commander's negated flag). */
  stream?: boolean;
  /** `--no-trunc` sets this false. */
  trunc?: boolean;
}

function render(rows: readonly StatsRow[], format: string): string {
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (isTemplateFormat(format)) return renderGoFormat(format, rows as unknown as Array<Record<string, unknown>>);
  return renderTable(STATS_TITLES, rows.map(tableCells));
}

export async function stats(services: string[], flags: StatsFlags): Promise<number> {
  checkFormat(flags.format);
  const { runtime, scope } = await opsContext(flags, { services });
  const noTrunc = flags.trunc === false;
  const containers = await statsContainers(runtime, scope, { services, all: flags.all ?? false, noTrunc });
  if (flags.stream === false) {
    process.stdout.write(render(await statsSnapshot(runtime, containers, { noTrunc }), flags.format));
    return 0;
  }
  const tty = process.stdout.isTTY === true && flags.format === 'table';
  await statsLive(runtime, containers, {
    noTrunc,
    signal: interruptSignal(),
    onFrame: (rows) => process.stdout.write(`${tty ? '\x1b[2J\x1b[H' : ''}${render(rows, flags.format)}`),
  });
  return 0;
}
