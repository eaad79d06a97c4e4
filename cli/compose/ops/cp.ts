/** `tscompose cp`: SERVICE:SRC DEST or SRC SERVICE:DEST -> src/engine/ops/cp.ts. */
import { copyCommand } from '../../../src/engine/ops/cp.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';
import { indexFlag } from '../flag-values.js';

export interface CpFlags extends GlobalOptions {
  index?: string;
  all?: boolean;
  archive?: boolean;
  followLink?: boolean;
}

export async function cp(source: string, destination: string, flags: CpFlags): Promise<number> {
  const index = indexFlag(flags.index);
  const { runtime, scope, progress } = await opsContext(flags);
  await copyCommand(runtime, scope, {
    source,
    destination,
    ...(index !== undefined ? { index } : {}),
    archive: flags.archive ?? false,
    all: flags.all ?? false,
    followLink: flags.followLink ?? false,
    stdin: process.stdin,
    stdout: process.stdout,
    progress: progress.sink,
    ...(flags.dryRun === true ? { dryRun: true } : {}),
  });
  progress.done();
  return 0;
}
