/** `tscompose volumes`: Compose's DRIVER / VOLUME NAME table, json, or names only. */
import { renderTable } from '../../../src/engine/ops/top.js';
import { volumesCommand } from '../../../src/engine/ops/volumes.js';
import { checkFormat, isTemplateFormat, renderGoFormat } from '../../../src/util/go-format.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';

export interface VolumesFlags extends GlobalOptions {
  format: string;
  quiet?: boolean;
}

export async function volumes(services: string[], flags: VolumesFlags): Promise<number> {
  checkFormat(flags.format);
  const { runtime, scope } = await opsContext(flags);
  const list = await volumesCommand(runtime, scope, services);
  const rows = list.map((v) => ({ Driver: v.driver, Labels: v.labels, Mountpoint: v.mountpoint, Name: v.name }));
  if (flags.quiet) process.stdout.write(list.map((v) => `${v.name}\n`).join(''));
  else if (flags.format === 'json') process.stdout.write(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  else if (isTemplateFormat(flags.format)) process.stdout.write(renderGoFormat(flags.format, rows));
  else process.stdout.write(renderTable(['DRIVER', 'VOLUME NAME'], list.map((v) => [v.driver, v.name])));
  return 0;
}
