/**
 * `tscompose export [-o FILE] SERVICE`: the container's filesystem tar to FILE or stdout. A file
 * is written beside its final name and renamed when complete, so a failed export leaves no
 * truncated tar under that name (as the Docker CLI does).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { exportCommand } from '../../../src/engine/ops/export.js';
import { UserError } from '../../../src/util/errors.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';
import { indexFlag } from '../flag-values.js';

export interface ExportFlags extends GlobalOptions {
  output?: string;
  index?: string;
}

export async function exportService(service: string, flags: ExportFlags): Promise<number> {
  const index = indexFlag(flags.index);
  if (flags.output === undefined && process.stdout.isTTY) {
    throw new UserError('refusing to write the export (a tar archive) to a terminal', { code: 'invalid', hint: 'use -o FILE, or redirect stdout (tscompose export web > web.tar)' });
  }
  if (flags.output === '') throw new UserError('-o/--output needs a file name', { code: 'invalid' });
  const { runtime, scope } = await opsContext(flags, { services: [service] });
  const { tar } = await exportCommand(runtime, scope, { service, ...(index !== undefined ? { index } : {}) });
  if (flags.output === undefined) {
    await pipeline(tar, process.stdout);
    return 0;
  }
  const target = flags.output;
  const temp = join(dirname(target), `.${basename(target)}.tscompose-${process.pid}.tmp`);
  try {
    await pipeline(tar, createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  return 0;
}
